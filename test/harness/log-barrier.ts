/**
 * A barrier for "nothing was logged": the service writes its log lines on its main thread,
 * synchronously, to one pipe (src/log.ts; Node writes to a pipe synchronously on Linux), in the
 * order things happen. A line it writes for a later call therefore comes after every line
 * written before that call, and once it has arrived, so have they.
 */
import { ACCOUNT, q, s, type TestClient } from './client.js';
import { waitFor, type ServiceProcess } from './session.js';
import { testSecret, uniqueUser } from './unique.js';

/**
 * Resolves once everything the service logged before this call is in `service.log()`: an
 * account added here (unchecked, so nothing is sent anywhere) logs "account … added", and is
 * removed again. Files need no barrier: the service writes a call's files before it replies.
 */
export async function logBarrier(client: TestClient, service: ServiceProcess): Promise<void> {
  const path = await client.addAccount(
    'imap',
    uniqueUser('log-barrier'),
    { password: testSecret() },
    { 'imap.host': s('127.0.0.1'), 'imap.port': q(9), 'imap.security': s('none') },
  );
  const id = String(await client.get(path, ACCOUNT, 'Id'));
  await client.call(path, ACCOUNT, 'Remove');
  await waitFor(`the service's log line for the added ${id}`, () => service.log().includes(`account ${id} added (`));
}
