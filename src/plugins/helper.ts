/**
 * The helper contract (docs/plugins.md) of third-party protocols: `<helper> verify`
 * reads one JSON object on stdin and prints `OK` or `ERROR(<message>)` as its first line. The
 * secret goes through stdin only (never argv or the environment); the helper is killed (its
 * whole process group) at its timeout; what it prints is bounded and scrubbed of the secret.
 */
import { detailText, scrubSecret } from '../protocols/common/classify.js';
import { isFailureCode, type Verifier, type VerifyCode, type VerifyResult } from '../protocols/common/types.js';
import { spawnTied } from '../util/child.js';
import { checkUnchanged, type FileIdentity } from './trust.js';

/** More output than this is a flood: the helper is stopped and the check fails. */
const MAX_OUTPUT = 64 * 1024;

export interface HelperSpec {
  protocol: string;
  title: string;
  /** Absolute path of the executable, checked when the descriptor was loaded. */
  path: string;
  /** What that check saw; the file must still be it before each run. */
  identity?: FileIdentity;
  timeoutMs: number;
}

/** Parses the first line of a helper's stdout; undefined when it is no verdict. */
export function parseVerdict(
  line: string,
): { ok: true } | { ok: false; code: VerifyCode; message: string } | undefined {
  const text = line.replace(/\r$/, '');
  if (text === 'OK') return { ok: true };
  const m = /^ERROR\((.*)\)$/s.exec(text);
  if (!m) return undefined;
  const inner = m[1]!;
  const coded = /^([A-Za-z]+):\s*(.*)$/s.exec(inner);
  if (coded && isFailureCode(coded[1]!)) return { ok: false, code: coded[1], message: coded[2]! };
  return { ok: false, code: 'Unknown', message: inner };
}

export function helperVerifier(h: HelperSpec): Verifier {
  return (settings, secret, options) =>
    new Promise<VerifyResult>((resolve) => {
      const { username, ...rest } = settings;
      const input =
        JSON.stringify({
          protocol: h.protocol,
          account: options.account ?? '',
          username: username ?? '',
          settings: rest,
          secret,
          ...(options.secrets && Object.keys(options.secrets).length ? { secrets: options.secrets } : {}),
        }) + '\n';
      const timeoutMs = Math.min(options.timeoutMs, h.timeoutMs);
      const scrub = (text: string) => {
        let t = scrubSecret(text, secret, String(username ?? ''));
        for (const v of Object.values(options.secrets ?? {})) t = scrubSecret(t, v);
        return detailText(t, '') ?? '';
      };
      // Checked again by path rather than run from a descriptor opened at load (/proc/self/fd/N):
      // Node closes every fd but stdio in a child, and a script (#!) run that way needs the fd
      // open after exec, so it would have to be passed in, changing the helper's $0 and fds. The
      // path cannot be swapped between this check and exec: its directories are writable only by
      // this user or root (trust.ts).
      if (h.identity) {
        try {
          checkUnchanged(h.path, h.identity, `the ${h.title} helper ${h.path}`);
        } catch (err) {
          return resolve({
            ok: false,
            code: 'Unavailable',
            message: `${(err as Error).message}; it was not run (restart the service after installing a plugin)`,
          });
        }
      }
      let stdout = '';
      let stderr = '';
      let done = false;
      // Its own process group (a timeout stops whatever it started too), gone with the service.
      const child = spawnTied(h.path, ['verify'], {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/',
        LANG: process.env.LANG ?? 'C.UTF-8',
      });
      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const finish = (r: VerifyResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        kill();
        resolve({ ...r, message: scrub(r.message) });
      };
      const timer = setTimeout(
        () =>
          finish({
            ok: false,
            code: 'Timeout',
            message: `${h.title} helper did not answer within ${timeoutMs / 1000} s`,
          }),
        timeoutMs,
      );
      const verdictFromStdout = () => {
        const nl = stdout.indexOf('\n');
        if (nl < 0) return;
        const v = parseVerdict(stdout.slice(0, nl));
        if (!v)
          finish({
            ok: false,
            code: 'Unknown',
            message: `${h.title} helper answered something else than OK or ERROR(...)`,
          });
        else if (v.ok) finish({ ok: true, code: 'Ok', message: `${h.title} helper accepted the credentials` });
        else finish({ ok: false, code: v.code, message: `${h.title}: ${v.message || v.code}` });
      };
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        stdout += d;
        if (stdout.length > MAX_OUTPUT)
          return finish({ ok: false, code: 'Unknown', message: `${h.title} helper wrote too much output` });
        verdictFromStdout();
      });
      child.stderr.on('data', (d: string) => {
        stderr = (stderr + d).slice(-MAX_OUTPUT);
      });
      child.on('error', (err: NodeJS.ErrnoException) =>
        finish({
          ok: false,
          code: 'Unknown',
          message: `${h.title} helper could not be started (${err.code ?? err.name})`,
        }),
      );
      child.on('close', (code, signal) => {
        if (stdout && !stdout.includes('\n')) {
          stdout += '\n';
          verdictFromStdout();
        }
        const last = stderr.trim().split('\n').pop() ?? '';
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        finish({
          ok: false,
          code: 'Unknown',
          message: `${h.title} helper ${how} without a verdict${last ? `: ${last}` : ''}`,
        });
      });
      // A helper that does not read its input must not break the service (EPIPE).
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    });
}
