/** Reading secrets: from stdin when it is a pipe or file, from a no-echo prompt when it is a terminal. */
import { _, pgettext } from '../i18n/index.js';
import { UsageError } from './errors.js';
import { prompt as promptText } from './output.js';

/** Everything on stdin, without one trailing newline (so `echo pw |` and `printf pw |` agree). */
async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<string | Buffer>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Prompts on stderr and reads one line from the terminal without echoing it. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    // No echo before the prompt appears: whoever types after seeing it must not be echoed.
    stdin.setRawMode(true);
    promptText(prompt);
    let value = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new UsageError(_('cancelled')));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** A secret from stdin or, on a terminal, a prompt; refuses an empty one. */
export async function readSecret(prompt: string, what: 'password' | 'secret'): Promise<string> {
  const value = process.stdin.isTTY ? await promptHidden(prompt) : await readAllStdin();
  if (value === '') {
    throw new UsageError(
      what === 'password'
        ? _(
            'no password given: pipe it on stdin (printf %s "$SECRET" | px-accounts ...) or run in a terminal to be asked',
          )
        : _(
            'no secret given: pipe it on stdin (printf %s "$SECRET" | px-accounts ...) or run in a terminal to be asked',
          ),
    );
  }
  return value;
}

/** Asks a yes/no question on the terminal (stderr); only "y" or "yes" is a yes. */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    // translators: how a yes/no question on the terminal ends; the answer for yes is translated just below
    const answer = (await rl.question(`${question} ${_('[y/N]')} `)).trim().toLowerCase();
    // The language's own yes counts, and the English one always does.
    return ['y', 'yes', pgettext('answer', 'y'), pgettext('answer', 'yes')]
      .map((x) => x.toLowerCase())
      .includes(answer);
  } finally {
    rl.close();
  }
}
