/**
 * Text from elsewhere (a server's answer, a provider's error_description) made fit for a message
 * on the bus: each run of control characters (Unicode's Cc: C0, DEL, C1) becomes one space. A NUL
 * makes a D-Bus string unencodable, an escape sequence or a carriage return rewrites what a
 * terminal or a log viewer shows. Which controls stay depends on where the text goes:
 *  - nothing (`withoutControls`), for a status message (Account.StatusMessage): one line in a
 *    list, and ReportStatus refuses any control character;
 *  - line feeds and tabs (`withoutControlsButLines`), for an error's message (AccountsError): it
 *    may quote a server's several lines, which stay readable; a carriage return still goes.
 * Not the CLI's `printable` (cli/printable.ts): that marks what a terminal must not be handed,
 * format characters too, as U+FFFD, for a person to see that something was there.
 */
const EVERY_CONTROL = /\p{Cc}+/gu;
const CONTROLS_BUT_LINE_FEED_AND_TAB = /[^\P{Cc}\n\t]+/gu;

/** `text` with each run of control characters made one space: one line. */
export const withoutControls = (text: string): string => text.replace(EVERY_CONTROL, ' ');

/** `text` with each run of control characters but line feeds and tabs made one space. */
export const withoutControlsButLines = (text: string): string => text.replace(CONTROLS_BUT_LINE_FEED_AND_TAB, ' ');
