/**
 * The one way px-accounts writes to the terminal. Every line it prints may quote words it did not
 * write — a server's reply in a check result or status message, an account's name or note, a
 * file's text, an error from the service — so control characters and bidirectional overrides
 * become U+FFFD here (src/cli/printable.ts), for every command at once. Line breaks stay: the
 * output layer cannot tell ours from theirs, and a line break moves no cursor back nor starts a
 * sequence. JSON lines pass unchanged: jsonLine (src/cli/format.ts) leaves no such character
 * unescaped, so `--json` stays exact JSON. Only `exact` prints as given: a secret's value and a
 * token, which belong to the person and are piped into other programs byte for byte — on a
 * terminal they are filtered too, since an app with a grant (or a server) may have set them.
 */
import { printable } from './printable.js';

/** Text made safe for a terminal, line by line. */
export const shown = (text: string): string => text.split('\n').map(printable).join('\n');

/** A result on stdout (one or more lines). */
export const out = (text: string): void => {
  process.stdout.write(shown(text) + '\n');
};

/** A note, progress or error on stderr (one or more lines). */
export const note = (text: string): void => {
  process.stderr.write(shown(text) + '\n');
};

/** A prompt on stderr, the cursor left after it. */
export const prompt = (text: string): void => {
  process.stderr.write(shown(text));
};

/**
 * A secret or a token the person asked for: byte for byte into a pipe or file; on a terminal
 * filtered like everything else (an app with a grant, or a server, may have put escape
 * sequences in it, and a control character cannot be copied off a screen anyway).
 */
export const exact = (text: string): void => {
  process.stdout.write((process.stdout.isTTY ? shown(text) : text) + '\n');
};
