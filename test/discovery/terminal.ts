/** The CLI on a terminal of its own, for the suites of this folder. */
import { spawn } from 'node:child_process';
import { CLI_BIN } from '../cli/helpers.js';

/**
 * The CLI on a terminal of its own (python's pty): answers each prompt when it appears, as a
 * person would, and returns everything it printed and its exit code.
 */
export function onTerminal(
  env: NodeJS.ProcessEnv,
  args: string[],
  answers: Array<[string, string]>,
): Promise<{ code: number; output: string }> {
  const script = `
import os, pty, sys, json, select
answers = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b''
while True:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if answers and answers[0][0].encode() in out.split(b'\\x00')[-1]:
        os.write(fd, answers.pop(0)[1].encode())
        out += b'\\x00'
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.replace(b'\\x00', b'').decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
  return new Promise((resolve) => {
    const child = spawn(
      '/usr/bin/python3',
      ['-c', script, JSON.stringify(answers), process.execPath, CLI_BIN, ...args],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}
