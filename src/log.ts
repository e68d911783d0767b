/**
 * One line per event on stderr with sd-daemon level prefixes, so journald files each line at
 * the right priority. Callers pass facts, never secrets.
 */
export type Level = 'error' | 'warning' | 'notice' | 'info' | 'debug';

const PRIORITY: Record<Level, number> = { error: 3, warning: 4, notice: 5, info: 6, debug: 7 };

let verbose = false;

export function setVerbose(on: boolean): void {
  verbose = on;
}

function write(level: Level, message: string): void {
  if (level === 'debug' && !verbose) return;
  // Keep one event on one line even when a message quotes a multi-line reason.
  process.stderr.write(`<${PRIORITY[level]}>${message.replace(/[\r\n]+/g, ' ')}\n`);
}

export const log = {
  error: (m: string) => write('error', m),
  warning: (m: string) => write('warning', m),
  notice: (m: string) => write('notice', m),
  info: (m: string) => write('info', m),
  debug: (m: string) => write('debug', m),
};
