#!/usr/bin/env node
/** px-accounts-ui: the Online Accounts window (see docs/ui.md). */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { INSTALL_DIR } from '../install-dir.js';
import { sweepStale } from '../ui/import-files.js';
import { openAppWindow, openInBrowser } from '../ui/launcher.js';
import { startUiServer, type UiServer } from '../ui/server.js';
import { claimInstance } from '../ui/single-instance.js';

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
      account: { type: 'string' }, 'no-browser': { type: 'boolean', default: false },
      'exit-when-closed': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
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
const shutdown = async (why: string) => {
  if (closing) return;
  closing = true;
  process.stderr.write(`px-accounts-ui: ${why}, ending\n`);
  await server.close().catch(() => undefined);
  process.exit(0);
};

// One program per session: where a window is open already, it is asked to show itself (on the
// account named) and this one ends. Only programs that show a window take part: --no-browser
// serves a link of its own.
let started: UiServer | undefined;
const windowed = browser && display;
const instance = windowed
  ? await claimInstance(async (account) => {
    if (closing || !started) return false;
    const how = await openAppWindow(started.launchUrl(account));
    process.stderr.write(`px-accounts-ui: another start asked for a window${account ? ` on ${account}` : ''}: ${how ? 'opened' : 'no browser could be started'}\n`);
    return how !== undefined;
  }).catch((err: Error) => {
    process.stderr.write(`px-accounts-ui: not checking for an open window (${err.message})\n`);
    return undefined;
  })
  : undefined;
if (instance && !instance.first) {
  try {
    await instance.handOver(opts.account);
    process.stderr.write('px-accounts-ui: the Online Accounts window is open already: it shows itself\n');
    process.exit(0);
  } catch (err) {
    process.stderr.write(`px-accounts-ui: the open window did not answer (${(err as Error).message}); opening one of this program's own\n`);
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
  if (browser) process.stderr.write(`px-accounts-ui: ${display ? 'no browser could be started' : 'no display'}; open the link below in a browser on this machine (it works once)\n`);
  process.stdout.write(`Online Accounts: ${url}\n`);
}
