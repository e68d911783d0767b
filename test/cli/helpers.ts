/** Running px-accounts as a child process against a private session, and a fake service for what the real one cannot do yet. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { ROOT, type KeyringMode, type Session } from '../harness/session.js';
import { stopPid } from '../harness/process.js';
import { useFixture, type Fixture } from '../harness/fixture.js';

export const CLI_BIN = join(ROOT, 'dist/bin/px-accounts.js');

/** The documented exit codes (docs/cli.md), spelled out here so a change to either is caught. */
export const CODE = {
  OK: 0,
  FAILURE: 1,
  INVALID: 2,
  NOT_FOUND: 3,
  DUPLICATE: 4,
  SECRETS: 5,
  VERIFICATION: 6,
  UNREACHABLE: 7,
  UNSUPPORTED: 8,
  NOT_AUTHORIZED: 9,
  NOT_CONFIGURED: 10,
  PROVIDER_UNREACHABLE: 11,
  EXPIRED: 12,
  WRONG_PASSPHRASE: 13,
  CANCELLED: 130,
} as const;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/bin/px-accounts.js ARGS` with the session's environment, to its end. */
export function cli(env: NodeJS.ProcessEnv, args: string[], input?: string, timeoutMs = 20000): Promise<CliResult> {
  return spawnCli(env, args, timeoutMs, input).done;
}

export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the first capture group of `re` once the output (stderr, then stdout) matches it. */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  stderr(): string;
  readonly done: Promise<CliResult>;
}

/** Starts px-accounts and lets the test talk to it while it runs (a sign-in waiting for a browser). */
export function spawnCli(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 30000, input = ''): RunningCli {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: Array<() => void> = [];
  const seen = () => {
    for (const w of watchers.splice(0)) w();
  };
  child.stdout.on('data', (d) => {
    stdout += d;
    seen();
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    seen();
  });
  child.stdin.end(input);
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`px-accounts ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      seen();
      resolve({ code, stdout, stderr });
    });
  });
  done.catch(() => undefined); // reported to whoever awaits it
  const line = async (re: RegExp, wait = 15000): Promise<string> => {
    const deadline = Date.now() + wait;
    for (;;) {
      const m = re.exec(stderr) ?? re.exec(stdout);
      if (m) return m[1] ?? m[0];
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`px-accounts printed no ${re}: ${stderr}${stdout}`);
      await new Promise<void>((r) => {
        watchers.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { child, line, stderr: () => stderr, done };
}

/** Parses the single JSON document a --json command printed. */
export function json<T = unknown>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/** The one error line px-accounts prints, checked for the documented form. */
export function errorLine(r: CliResult): string {
  const lines = r.stderr.split('\n').filter(Boolean);
  if (lines.length !== 1 || !lines[0]!.startsWith('px-accounts: '))
    throw new Error(`expected one 'px-accounts: ' line on stderr, got: ${JSON.stringify(r.stderr)}`);
  return lines[0]!;
}

export interface CliFixture extends Fixture {
  /** Runs px-accounts ARGS against the fixture's session. */
  run(args: string[], input?: string): Promise<CliResult>;
}

/** The service on a private session (harness/fixture.ts), and px-accounts run against it. */
export function useCliService(keyring: KeyringMode = 'unlocked'): CliFixture {
  const fx = useFixture({ keyring, service: { args: ['--no-background-check'] } });
  return Object.assign(fx, { run: (args: string[], input?: string) => cli(fx.session.env, args, input) });
}

/** A stand-in service (FakeService) on a private bus with no keyring, and px-accounts run against it. */
export function useFakeService(): CliFixture {
  const fx = useFixture({ keyring: 'none', prepare: async (t) => void t.own(await FakeService.start(t.session)) });
  return Object.assign(fx, { run: (args: string[], input?: string) => cli(fx.session.env, args, input) });
}

/** A line-reading child process (watch). */
export class LineReader {
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    const split = (target: string[]) => {
      let buf = '';
      return (d: Buffer) => {
        buf += d.toString('utf8');
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          target.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
        for (const w of this.waiters.splice(0)) w();
      };
    };
    child.stdout.on('data', split(this.lines));
    child.stderr.on('data', split(this.errLines));
    this.exited = new Promise((r) =>
      child.once('close', (code) => {
        for (const w of this.waiters.splice(0)) w();
        r(code);
      }),
    );
  }

  static start(env: NodeJS.ProcessEnv, args: string[]): LineReader {
    return new LineReader(spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Waits for a line (stdout, or stderr with `stream`) matching `pred`, from index `from`. */
  async waitLine(
    pred: (line: string) => boolean,
    timeoutMs = 5000,
    from = 0,
    stream: 'stdout' | 'stderr' = 'stdout',
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const source = stream === 'stdout' ? this.lines : this.errLines;
    for (;;) {
      const found = source.slice(from).find(pred);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching ${stream} line in ${timeoutMs} ms; got:\n${source.join('\n')}\nstderr:\n${this.errLines.join('\n')}`,
        );
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    await stopPid(this.child.pid);
    return this.exited;
  }
}

const { Message, Variant, MessageType } = dbus;
type DBusMessage = InstanceType<typeof Message>;
const V = (sig: string, value: unknown) => new Variant(sig, value);

/**
 * A stand-in for org.pantherx.Accounts that answers what the real service cannot answer yet
 * (per-protocol verification results, Io and AccessDenied errors) or on purpose never answers.
 * Accounts: fake_ok (every protocol passes), fake_bad (smtp rejected), fake_io, fake_denied,
 * fake_silent (never answers), fake_unsupported (a service without verification).
 */
export class FakeService {
  private constructor(private readonly bus: dbus.MessageBus) {}

  static async start(session: Session): Promise<FakeService> {
    const bus = dbus.sessionBus({ busAddress: session.address });
    bus.on('error', () => undefined);
    const fake = new FakeService(bus);
    bus.addMethodHandler((msg: DBusMessage) => fake.handle(msg));
    await bus.requestName('org.pantherx.Accounts', 0);
    return fake;
  }

  private result(ok: boolean, code: string, message: string) {
    return V('a{sv}', { ok: V('b', ok), code: V('s', code), message: V('s', message) });
  }

  private handle(msg: DBusMessage): boolean {
    if (msg.type !== MessageType.METHOD_CALL) return false;
    const reply = (sig: string, body: unknown[]) => this.bus.send(Message.newMethodReturn(msg, sig, body));
    const fail = (name: string, text: string) => this.bus.send(Message.newError(msg as unknown as string, name, text));
    const id = (msg.path ?? '').split('/').pop();
    if (msg.interface === 'org.pantherx.Accounts.Account' && msg.member === 'Verify') {
      switch (id) {
        case 'fake_ok':
          reply('a{sv}', [
            { imap: this.result(true, 'Ok', 'logged in'), smtp: this.result(true, 'Ok', 'authenticated') },
          ]);
          return true;
        case 'fake_bad':
          reply('a{sv}', [
            {
              imap: this.result(true, 'Ok', 'logged in'),
              smtp: this.result(false, 'Unauthorized', '535 authentication failed'),
            },
          ]);
          return true;
        case 'fake_io':
          fail('org.pantherx.Accounts.Error.Io', 'cannot write the account file: disk full');
          return true;
        case 'fake_denied':
          fail('org.pantherx.Accounts.Error.AccessDenied', 'not allowed');
          return true;
        case 'fake_silent':
          return true; // never answers
        case 'fake_unsupported':
          fail(
            'org.pantherx.Accounts.Error.UnsupportedProtocol',
            'credential verification is not available in this version',
          );
          return true;
      }
      fail('org.freedesktop.DBus.Error.UnknownObject', `No object at ${msg.path}`);
      return true;
    }
    if (msg.interface === 'org.pantherx.Accounts.Manager' && msg.member === 'AddAccount') {
      fail('org.pantherx.Accounts.Error.VerificationFailed', 'smtp: 535 authentication failed; nothing was saved');
      return true;
    }
    fail('org.freedesktop.DBus.Error.UnknownMethod', `fake service has no ${msg.interface}.${msg.member}`);
    return true;
  }

  stop(): void {
    this.bus.disconnect();
  }
}
