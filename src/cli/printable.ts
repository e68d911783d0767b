/**
 * Text a server, the service or a file supplies, made safe to print on a terminal, so that what
 * is shown is what was sent. Each of these becomes U+FFFD:
 *  - C0 and C1 control characters and DEL (ESC starts sequences that set the title, clear the
 *    screen, recolour what follows);
 *  - bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they
 *    reorder whole runs of text, so `exe.txt` can be shown as `txt.exe` (Trojan Source);
 *  - invisibles that have no use in what px-accounts prints and only hide a difference between
 *    two strings that look the same (a name, an address copied off the screen): zero-width space
 *    U+200B, word joiner and invisible operators U+2060–U+2064, the deprecated format characters
 *    U+206A–U+206F, and U+FEFF (a byte-order mark or zero-width no-break space);
 *  - a zero-width non-joiner U+200C or joiner U+200D that joins nothing: not between two
 *    letters, marks or emoji (at the start or end of a line, beside a space, punctuation or
 *    another invisible), where it can only hide a difference too.
 * Kept, because text in the languages px-accounts speaks needs them (po/fa.po itself has
 * hundreds): the non-joiner and joiner between letters (Persian writes می‌خواهم with U+200C;
 * Arabic and Indic scripts and emoji sequences 👩‍💻 use U+200D), and the direction marks
 * LRM U+200E, RLM U+200F and ALM U+061C, which place punctuation and digits beside Persian or
 * Arabic words. A mark only sets the direction of the neutral characters next to it: it cannot
 * reverse a run of letters the way an override or isolate can.
 */
/**
 * Every character printable replaces, in one pattern (jsonLine escapes the same ones): the
 * lookarounds of the joiners see the text as given, so a joiner beside a replaced invisible
 * joins nothing either.
 */
export const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- the control characters are what it replaces
  /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\u2060-\u2064\u206a-\u206f\ufeff]|(?<![\p{L}\p{M}\p{Extended_Pictographic}\p{Emoji_Modifier}])[\u200c\u200d]|[\u200c\u200d](?![\p{L}\p{M}\p{Extended_Pictographic}])/gu;

export const printable = (text: string): string => text.replace(UNPRINTABLE, '\uFFFD');
