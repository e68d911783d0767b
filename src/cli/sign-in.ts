/**
 * The command line's side of an OAuth2 sign-in: say where to sign in (the URL, or the device
 * code), open the browser when there is a desktop, wait, and cancel on Ctrl-C. Instructions go
 * to stderr so that stdout stays the command's result (and JSON with --json).
 */
import { spawn } from 'node:child_process';
import type { Account, SignInHandlers, SignInRequest } from '../client/index.js';
import { _ } from '../i18n/index.js';
import { note } from './output.js';

/** Opens a URL with the desktop's default browser; quietly nothing when there is no desktop. */
function openBrowser(url: string): void {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  try {
    const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no xdg-open: the URL is printed anyway
  }
}

const say = note;

function instructions(provider: string, r: SignInRequest, browser: boolean): void {
  if (r.flow === 'device') {
    say(
      `${_('To sign in to {provider}, open {url} on any device and enter the code:', { provider, url: r.verificationUrl })}\n\n    ${r.userCode}\n`,
    );
  } else {
    const where = browser
      ? _('Sign in to {provider} in your browser (opening it now):', { provider })
      : _('Sign in to {provider} in your browser:', { provider });
    say(`${where}\n\n    ${r.url}\n`);
    if (browser) openBrowser(r.url);
  }
  say(_('Waiting for the sign-in to finish (Ctrl-C cancels)...'));
}

/** Runs `start` (signIn or signInAgain) with a terminal's handlers; Ctrl-C cancels the request. */
export async function signInInteractively(
  provider: string,
  browser: boolean,
  start: (handlers: SignInHandlers) => Promise<Account>,
): Promise<Account> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    return await start({ signal: controller.signal, onStarted: (r) => instructions(provider, r, browser) });
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
