/**
 * Opens URLs for the window: the app itself in `chromium --app=URL` (a window without browser
 * chrome), else in the default browser with xdg-open; sign-in pages always in the default
 * browser. The browser is started detached: it may outlive us, and we never wait for it.
 */
import { spawn } from 'node:child_process';

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

/** Shows the window; returns how, or undefined when nothing could be started. */
export async function openAppWindow(url: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const browsers = env.PX_ACCOUNTS_UI_BROWSER ? [env.PX_ACCOUNTS_UI_BROWSER] : APP_BROWSERS;
  for (const b of browsers) if (await startDetached(b, [`--app=${url}`])) return b;
  return (await startDetached('xdg-open', [url])) ? 'xdg-open' : undefined;
}

/** Opens a page (an OAuth2 sign-in) in the default browser. */
export function openInBrowser(url: string): Promise<boolean> {
  if (!/^https?:\/\//i.test(url)) return Promise.resolve(false);
  return startDetached('xdg-open', [url]);
}
