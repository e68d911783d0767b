/**
 * Text a server, the service or a file supplies, made safe to print on a terminal, so that what
 * is shown is what was sent. Each of these becomes U+FFFD:
 *  - C0 and C1 control characters and DEL (ESC starts sequences that set the title, clear the
 *    screen, recolour what follows);
 *  - bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they
 *    reorder whole runs of text, so `exe.txt` can be shown as `txt.exe` (Trojan Source);
 *  - every other format character (Unicode's Cf: zero-width space U+200B, word joiner and
 *    invisible operators U+2060–U+2064, U+FEFF, soft hyphen U+00AD, the tag characters
 *    U+E0020–U+E007F, interlinear annotation U+FFF9–U+FFFB…): they have no use in what
 *    px-accounts prints and only hide a difference between two strings that look the same (a
 *    name, an address copied off the screen);
 *  - a zero-width non-joiner U+200C or joiner U+200D that joins nothing a script needs joined
 *    (RFC 5892's CONTEXTJ rule, which decides the same for host names): kept only after a
 *    combining mark (an Indic virama) or a letter of a joining script (Arabic, Syriac, N'Ko,
 *    Mongolian…), and for the joiner after an emoji, and only before a letter, mark or emoji.
 *    `pay‍pal` (a joiner between Latin letters) is shown as `pay�pal`.
 * Kept, because text in the languages px-accounts speaks needs them (po/fa.po itself has
 * hundreds): the non-joiner and joiner between letters (Persian writes می‌خواهم with U+200C;
 * Arabic and Indic scripts and emoji sequences 👩‍💻 use U+200D), and the direction marks
 * LRM U+200E, RLM U+200F and ALM U+061C, which place punctuation and digits beside Persian or
 * Arabic words. A mark only sets the direction of the neutral characters next to it: it cannot
 * reverse a run of letters the way an override or isolate can.
 */
/** Letters of the scripts whose letters join, and combining marks (an Indic virama): RFC 5892's CONTEXTJ. */
const JOINS = String.raw`\p{M}\p{sc=Arabic}\p{sc=Syriac}\p{sc=Nko}\p{sc=Mongolian}\p{sc=Mandaic}\p{sc=Manichaean}\p{sc=Psalter_Pahlavi}\p{sc=Adlam}\p{sc=Hanifi_Rohingya}\p{sc=Sogdian}\p{sc=Phags_Pa}`;

/**
 * Every character printable replaces, in one pattern (jsonLine escapes the same ones): the
 * lookarounds of the joiners see the text as given, so a joiner beside a replaced invisible
 * joins nothing either.
 */
export const UNPRINTABLE = new RegExp(
  [
    String.raw`[\u0000-\u001f\u007f-\u009f]`,
    // every format character but the joiners (below) and the direction marks LRM, RLM, ALM
    String.raw`(?![\u200c-\u200f\u061c])\p{Cf}`,
    String.raw`(?<![${JOINS}])\u200c`,
    String.raw`(?<![${JOINS}\p{Extended_Pictographic}\p{Emoji_Modifier}])\u200d`,
    String.raw`[\u200c\u200d](?![\p{L}\p{M}\p{Extended_Pictographic}])`,
  ].join('|'),
  'gu',
);

export const printable = (text: string): string => text.replace(UNPRINTABLE, '\uFFFD');
