/**
 * Text from elsewhere (a server's answer, a provider's error_description) made fit for a message
 * on the bus: each run of control characters (Unicode's Cc: C0, DEL, C1) becomes one space. A NUL
 * makes a D-Bus string unencodable, an escape sequence or a carriage return rewrites what a
 * terminal or a log viewer shows. Which controls stay depends on where the text goes:
 *  - nothing, for a status message (Account.StatusMessage): one line in a list, and ReportStatus
 *    refuses any control character;
 *  - line feeds and tabs (`keep: '\n\t'`), for an error's message (AccountsError): it may quote a
 *    server's several lines, which stay readable; a carriage return still goes.
 * Not the CLI's `printable` (cli/printable.ts): that marks what a terminal must not be handed,
 * format characters too, as U+FFFD, for a person to see that something was there.
 */
const patterns = new Map<string, RegExp>();

function patternKeeping(keep: string): RegExp {
  let re = patterns.get(keep);
  if (!re) {
    const kept = [...keep].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('');
    re = new RegExp(kept ? `[^\\P{Cc}${kept}]+` : String.raw`\p{Cc}+`, 'gu');
    patterns.set(keep, re);
  }
  return re;
}

/** `text` with each run of control characters but those in `keep` made one space. */
export const withoutControls = (text: string, options: { keep?: string } = {}): string =>
  text.replace(patternKeeping(options.keep ?? ''), ' ');
