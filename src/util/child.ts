/**
 * Programs started for a check die with the service, even on SIGKILL or a crash, when no
 * handler of ours runs. Each runs under a small shell supervisor that the kernel signals when
 * the thread that spawned it ends (PR_SET_PDEATHSIG, set by util-linux setpriv) and that then
 * kills its whole process group: the death signal alone covers one process and is cleared on
 * fork, so openvpn behind `cat |`, or whatever a helper starts, would outlive us.
 *
 * The signal follows the spawning *thread*: a child started on the verifier thread also dies
 * if that worker exits. That is wanted: verifier-thread.ts replaces the worker only after it
 * has died (its checks are then answered as failed and nothing else would stop their
 * programs) and stops it only at shutdown, so a live worker never loses a running check.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../log.js';

// `trap` first: a TERM before it ends the shell before anything started. Then $PPID: a parent
// that died before setpriv's prctl sent no signal, and the shell was reparented. The command
// runs in the background (stdin handed over by fd 3) because a trap waits for a foreground one.
const SUPERVISOR =
  'trap "kill -KILL 0" TERM; [ "$PPID" = "$1" ] || exit 125; shift; exec 3<&0; "$@" <&3 3<&- & wait $!';

let setpriv: string | null | undefined;
function findSetpriv(): string | null {
  if (setpriv === undefined) {
    const dirs = ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'))];
    setpriv = dirs.map((d) => join(d, 'setpriv')).find((p) => existsSync(p)) ?? null;
    if (!setpriv)
      log.warning('setpriv (util-linux) not found: programs started for checks may outlive a killed service');
  }
  return setpriv;
}

/**
 * spawn() with piped stdio, in a new process group (`-pid` kills all of it), tied to the
 * calling thread's life as above. The pid is the supervisor's, which is the group's leader.
 */
export function spawnTied(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): ChildProcessWithoutNullStreams {
  const options = { stdio: 'pipe' as const, detached: true, env };
  const tool = findSetpriv();
  if (!tool) return spawn(cmd, [...args], options);
  // detached (setsid) is required: the supervisor's `kill 0` must never reach the service's group.
  return spawn(
    tool,
    ['--pdeathsig', 'TERM', '--', '/bin/sh', '-c', SUPERVISOR, 'px-accounts-check', String(process.pid), cmd, ...args],
    options,
  );
}
