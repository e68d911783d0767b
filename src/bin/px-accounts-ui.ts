#!/usr/bin/env node
/** px-accounts-ui: the Online Accounts window (see docs/ui.md). */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { INSTALL_DIR } from '../install-dir.js';
import { sweepStale } from '../ui/temp-dirs.js';
import { openAppWindow, openInBrowser } from '../ui/launcher.js';
import { startUiServer, type UiServer } from '../ui/server.js';
import { claimInstance, type Instance, type Show } from '../ui/single-instance.js';

const USAGE = `Usage: px-accounts-ui [--account ID] [--no-browser] [--exit-when-closed]

Opens the Online Accounts window: a page served on 127.0.0.1 and shown in chromium --app
(or the default browser). The program ends when its window closes, and on SIGTERM.

  --account ID        open on this account
  --no-browser        open nothing: print "Online Accounts: <URL>" (a one-time link) as the
                      first line of stdout and serve until SIGTERM
  --exit-when-closed  with --no-browser: still end when the last page has closed
`;

let opts;
try {
  opts = parseArgs({
    options: {
      account: { type: 'string' },
      'no-browser': { type: 'boolean', default: false },
      'exit-when-closed': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
} catch (err) {
  process.stderr.write(`px-accounts-ui: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

// Without a display nothing can show a window: serve the link instead, until SIGTERM.
const display = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const browser = !opts['no-browser'];
const graceMs = Number(process.env.PX_ACCOUNTS_UI_GRACE_MS) || 3000;
let closing = false;
let instance: Instance | undefined;
const shutdown = async (why: string) => {
  if (closing) return;
  closing = true;
  process.stderr.write(`px-accounts-ui: ${why}, ending\n`);
  // The name first: a start from now on claims it rather than asking a program that is going.
  instance?.release();
  await server.close().catch(() => undefined);
  process.exit(0);
};

// One program per session: where a window is open already, it is asked to show itself (on the
// account named) and this one ends. Only programs that show a window take part: --no-browser
// serves a link of its own.
let started: UiServer | undefined;
/** How long a window asked for may take to load before an idle program may end. */
const WINDOW_COMING_MS = 30_000;
/** Asks that come closer together than this are one: the window just opened serves them. */
const COALESCE_MS = 1000;
let lastShown = 0;
const showWindow: Show = async (account) => {
  if (closing || !started) return false;
  if (Date.now() - lastShown < COALESCE_MS) return true;
  lastShown = Date.now();
  started.expectPage(WINDOW_COMING_MS);
  const how = await openAppWindow(started.launchUrl(account));
  process.stderr.write(
    `px-accounts-ui: another start asked for a window${account ? ` on ${account}` : ''}: ${how ? 'opened' : 'no browser could be started'}\n`,
  );
  return how !== undefined && !closing;
};
const claim = () =>
  claimInstance(showWindow, process.env, () => started?.shownAccounts() ?? []).catch((err: Error) => {
    process.stderr.write(`px-accounts-ui: not checking for an open window (${err.message})\n`);
    return undefined;
  });
if (browser && display) {
  instance = await claim();
  if (instance && !instance.first) {
    try {
      await instance.handOver(opts.account);
      process.stderr.write('px-accounts-ui: the Online Accounts window is open already: it shows itself\n');
      process.exit(0);
    } catch (err) {
      process.stderr.write(
        `px-accounts-ui: the open window did not answer (${(err as Error).message}); opening one of this program's own\n`,
      );
      // It was ending, and has let the name go by now: this program takes it over.
      instance = await claim();
      if (instance && !instance.first) {
        instance.release();
        instance = undefined;
      }
    }
  }
}

void sweepStale().catch(() => undefined);
const server = await startUiServer({
  staticDir: join(INSTALL_DIR, 'dist/src/ui/static'),
  openUrl: browser ? (url) => void openInBrowser(url) : undefined,
  onIdle: (browser && display) || opts['exit-when-closed'] ? () => void shutdown('the window closed') : undefined,
  graceMs,
});
started = server;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));

const url = server.launchUrl(opts.account);
if (browser && display && (await openAppWindow(url))) {
  process.stderr.write(`px-accounts-ui: the window is open (${server.origin})\n`);
} else {
  if (browser)
    process.stderr.write(
      `px-accounts-ui: ${display ? 'no browser could be started' : 'no display'}; open the link below in a browser on this machine (it works once)\n`,
    );
  process.stdout.write(`Online Accounts: ${url}\n`);
}
