/**
 * Opens URLs for the window: the app itself in `chromium --app=URL` (a window without browser
 * chrome), else in the default browser with xdg-open; sign-in pages always in the default
 * browser. The browser is started detached: it may outlive us, and we never wait for it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempPrefix } from './temp-dirs.js';

/** Starts `cmd args` detached; resolves false if it could not be started (not installed). */
function startDetached(cmd: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    } catch {
      resolve(false);
      return;
    }
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/** Browsers tried for the app window, in order; PX_ACCOUNTS_UI_BROWSER names another. */
const APP_BROWSERS = ['chromium', 'chromium-browser', 'google-chrome'];

/**
 * A page that forwards to `url`, readable by this user only: the browser is given its path, so
 * the launch token is never in a command line (anyone on the machine can read those, and could
 * redeem the token before the browser has started). Deleted a minute later, or at exit.
 */
export function launchPage(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = mkdtempSync(tempPrefix(env)); // mode 0700
  const file = join(dir, 'open.html');
  const href = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  writeFileSync(
    file,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${href}"><title>Online Accounts</title>\n`,
    { mode: 0o600 },
  );
  const remove = () => rmSync(dir, { recursive: true, force: true });
  setTimeout(remove, 60_000).unref();
  process.once('exit', remove);
  return pathToFileURL(file).href;
}

/** Shows the window on `url` (through a launch page); returns how, or undefined when nothing could be started. */
export async function openAppWindow(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const page = launchPage(url, env);
  const browsers = env.PX_ACCOUNTS_UI_BROWSER ? [env.PX_ACCOUNTS_UI_BROWSER] : APP_BROWSERS;
  for (const b of browsers) if (await startDetached(b, [`--app=${page}`])) return b;
  return (await startDetached('xdg-open', [page])) ? 'xdg-open' : undefined;
}

/** Opens a page (an OAuth2 sign-in) in the default browser. */
export function openInBrowser(url: string): Promise<boolean> {
  if (!/^https?:\/\//i.test(url)) return Promise.resolve(false);
  return startDetached('xdg-open', [url]);
}
