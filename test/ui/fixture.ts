/**
 * One world per UI suite: a loopback Dovecot, a private bus with an unlocked keyring, the
 * service with a test provider whose servers are that Dovecot, and the window's program.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccountsClient } from '../../src/client/index.js';
import { startPeers, type Peers } from '../harness/peers.js';
import { startService, startSession, type ServiceProcess, type Session } from '../harness/session.js';
import { startUi, type UiProcess } from './helpers.js';

export interface UiWorld {
  peers: Peers;
  session: Session;
  service: ServiceProcess;
  ui: UiProcess;
  client: AccountsClient;
  /** A provider of the catalogue whose IMAP and POP3 servers are the loopback Dovecot. */
  providerName: string;
}

export const PROVIDER_ID = 'loopmail';

export function useUiWorld(uiEnv: NodeJS.ProcessEnv = {}): UiWorld {
  const w = {} as UiWorld;
  before(async function () {
    this.timeout(90_000);
    w.peers = await startPeers(['dovecot']);
    w.session = await startSession();
    const dir = join(w.session.env.XDG_DATA_HOME!, 'px-accounts', 'providers');
    mkdirSync(dir, { recursive: true });
    w.providerName = 'Loopback Mail';
    writeFileSync(
      join(dir, `${PROVIDER_ID}.ini`),
      `[provider]
name = ${w.providerName}
protocols = imap, pop3

[imap]
host = 127.0.0.1
port = ${w.peers.ports.imap}
security = none

[pop3]
host = 127.0.0.1
port = ${w.peers.ports.pop3}
security = none
`,
    );
    w.service = await startService(w.session);
    w.client = await AccountsClient.connect({ busAddress: w.session.address });
    w.ui = await startUi(w.session, [], uiEnv);
  });
  after(async function () {
    this.timeout(30_000);
    w.client?.close();
    await w.ui?.stop();
    await w.service?.stop();
    await w.session?.stop();
    await w.peers?.stop();
  });
  return w;
}
