/** px-accounts-ui started as a program against a private session, and Debian's chromium at it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { stopPid } from './process.js';
import { ROOT, type Session } from './session.js';

export const UI_BIN = join(ROOT, 'dist/bin/px-accounts-ui.js');

export interface UiProcess {
  readonly child: ChildProcess;
  /** The one-time launch URL printed on the first line. */
  readonly url: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  log(): string;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts px-accounts-ui --no-browser (plus `args`) and waits for its "Online Accounts: URL" line. */
export async function startUi(session: Session, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<UiProcess> {
  const child = spawn(process.execPath, [UI_BIN, '--no-browser', ...args], {
    env: { ...session.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`px-accounts-ui printed no URL in 10 s:\n${stderr}`)), 10_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /^Online Accounts: (\S+)\n/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) =>
      reject(new Error(`px-accounts-ui exited (${code}) before printing its URL:\n${stderr}`)),
    );
  });
  return {
    child,
    url,
    origin: new URL(url).origin,
    exited,
    log: () => stderr,
    async stop() {
      await stopPid(child.pid);
      return exited;
    },
  };
}

export interface Window {
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

/**
 * Headless chromium (Debian's) with a page opened at the launch URL; `locale` ("de-DE", "fa-IR")
 * sets the browser's language, navigator.language and Accept-Language alike; `watch` sees the
 * page before it goes to the URL (to listen to every request of it).
 */
export async function openWindow(
  url: string,
  colorScheme: 'light' | 'dark' = 'light',
  locale?: string,
  watch?: (page: Page) => void,
): Promise<Window> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  const context = await browser.newContext({
    viewport: { width: 900, height: 640 },
    colorScheme,
    ...(locale ? { locale } : {}),
  });
  const page = await context.newPage();
  watch?.(page);
  await page.goto(url);
  return { browser, context, page };
}
