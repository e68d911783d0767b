/**
 * Text a server, the service or a file supplies, made safe to print on a terminal: C0 and C1
 * control characters (ESC starts sequences that set the title, clear the screen, recolour what
 * follows), DEL, and bidirectional overrides each become U+FFFD, so what is shown is what was sent.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export const printable = (text: string): string => text.replace(UNPRINTABLE, '\uFFFD');
