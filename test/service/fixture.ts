/** One private session + running service per suite, torn down by PID. */
import { startService, startSession, type KeyringMode, type ServiceProcess, type Session } from '../harness/session.js';
import { TestClient } from '../harness/client.js';

export interface Fixture {
  session: Session;
  service: ServiceProcess;
  client: TestClient;
}

export function useService(keyring: KeyringMode = 'unlocked', args: string[] = []): Fixture {
  const f = {} as Fixture;
  before(async function () {
    this.timeout(30000);
    f.session = await startSession(keyring);
    f.service = await startService(f.session, args);
    f.client = await TestClient.connect(f.session.address);
  });
  after(async function () {
    this.timeout(30000);
    f.client?.disconnect();
    await f.service?.stop();
    await f.session?.stop();
  });
  return f;
}

let counter = 0;
/** A fresh, unique identifier for each test's account. */
export const uniqueUser = (prefix = 'user') => `${prefix}${++counter}-${process.pid}@example.org`;

/** Test secrets are made at run time and look like nothing real. */
export const testSecret = () => `test-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
