/**
 * Red team: the words a hostile server sends end up in check results and in the account's status,
 * which go on the bus to every client. No D-Bus string can hold NUL: one in a server's refusal
 * failed Verify's reply, and — as the StatusMessage — every GetManagedObjects of every client
 * (the window, GOA's clients, the CLI) until the next check. Escape sequences have no business
 * there either.
 */
import { strict as assert } from 'node:assert';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { ACCOUNT, MANAGER, OM, ROOT, as, q, s, type V } from '../harness/client.js';
import { testSecret, uniqueUser, useFixture } from '../harness/fixture.js';

const HOSTILE = 'no such user\u0000\u001b]0;owned\u0007\u001b[2J\u009b31m here';

/** A POP3 server of the test's own that greets, then refuses every command with `reply`. */
function refusingPop3(reply: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('+OK ready\r\n');
    socket.on('data', () => socket.write(`-ERR ${reply}\r\n`));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('red team: a hostile server’s words on the bus', function () {
  this.timeout(60_000);
  const f = useFixture({ keyring: 'unlocked', service: { args: ['--no-background-check'] } });
  let server: Server;
  const options = () => ({
    protocols: as(['pop3']),
    'pop3.host': s('127.0.0.1'),
    'pop3.port': q((server.address() as AddressInfo).port),
    'pop3.security': s('none'),
  });
  const message = (results: unknown) =>
    ((results as Record<string, V>).pop3?.value as Record<string, V>).message?.value as string;

  before(async () => {
    server = await refusingPop3(HOSTILE);
  });
  after(() => server.close());

  it('a NUL and escape sequences in a refusal: Verify and ValidateCredentials answer, GetManagedObjects still works, the status carries no control character', async () => {
    const path = await f.client.addAccount('pop3', uniqueUser(), { password: testSecret() }, options());
    const [results] = await f.client.call(path, ACCOUNT, 'Verify');
    assert.match(message(results), /no such user .*here/);
    assert.doesNotMatch(message(results), /\p{Cc}/u);

    const [objects] = await f.client.call(ROOT, OM, 'GetManagedObjects');
    const account = (objects as Record<string, Record<string, Record<string, V>>>)[path]?.[ACCOUNT];
    assert.equal(account?.Status?.value, 'error');
    assert.equal(account?.StatusMessage?.value, message(results));

    const [validated] = await f.client.call(ROOT, MANAGER, 'ValidateCredentials', 'ssa{ss}a{sv}', [
      'pop3',
      uniqueUser(),
      { password: testSecret() },
      options(),
    ]);
    assert.doesNotMatch(message(validated), /\p{Cc}/u);
    assert.match(message(validated), /no such user/);
  });
});
