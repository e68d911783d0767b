// A system bus of the test's own (a second private dbus-daemon, for DBUS_SYSTEM_BUS_ADDRESS) and
// a NetworkManager stand-in on it: owns org.freedesktop.NetworkManager, answers Get/GetAll for
// State and Connectivity, and emits StateChanged and PropertiesChanged when the test says the
// network goes or comes back.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { run, stopPid } from './process.js';

const { Message, Variant } = dbus;
const NM = 'org.freedesktop.NetworkManager';
const PATH = '/org/freedesktop/NetworkManager';
const PROPS = 'org.freedesktop.DBus.Properties';

export const NM_STATE = { asleep: 10, disconnected: 20, connectedGlobal: 70 } as const;
export const NM_CONNECTIVITY = { none: 1, full: 4 } as const;

export interface SystemBus {
  readonly address: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A dbus-daemon from a config of our own, listening in `dir`/system-run. */
export async function startSystemBus(dir: string): Promise<SystemBus> {
  const runDir = join(dir, 'system-run');
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const conf = join(dir, 'system.conf');
  writeFileSync(
    conf,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:dir=${runDir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const r = await run(
    'dbus-daemon',
    [`--config-file=${conf}`, '--fork', '--nosyslog', '--print-address=1', '--print-pid=1'],
    { PATH: process.env.PATH },
  );
  if (r.code !== 0) throw new Error(`dbus-daemon (system) failed: ${r.stderr}`);
  const [address, pid] = r.stdout.trim().split('\n');
  return { address: address!, pid: Number(pid), stop: () => stopPid(Number(pid)) };
}

export interface NetworkManagerStandIn {
  /** State and Connectivity now. */
  readonly state: number;
  /** The network goes (State disconnected, Connectivity none) or comes back (connected, full). */
  setOnline(online: boolean): void;
  stop(): void;
}

export async function startNetworkManager(address: string, online = true): Promise<NetworkManagerStandIn> {
  const bus = dbus.sessionBus({ busAddress: address });
  let state: number = online ? NM_STATE.connectedGlobal : NM_STATE.disconnected;
  let connectivity: number = online ? NM_CONNECTIVITY.full : NM_CONNECTIVITY.none;
  const all = () => ({ State: new Variant('u', state), Connectivity: new Variant('u', connectivity) });
  bus.addMethodHandler((msg: InstanceType<typeof Message>) => {
    if (msg.path !== PATH || msg.interface !== PROPS) return false;
    if (msg.member === 'GetAll') {
      bus.send(Message.newMethodReturn(msg, 'a{sv}', [msg.body[0] === NM ? all() : {}]));
      return true;
    }
    if (msg.member === 'Get' && msg.body[0] === NM && (msg.body[1] === 'State' || msg.body[1] === 'Connectivity')) {
      bus.send(Message.newMethodReturn(msg, 'v', [all()[msg.body[1] as 'State' | 'Connectivity']]));
      return true;
    }
    return false;
  });
  await bus.requestName(NM, 0x4);
  return {
    get state() {
      return state;
    },
    setOnline(up) {
      state = up ? NM_STATE.connectedGlobal : NM_STATE.disconnected;
      connectivity = up ? NM_CONNECTIVITY.full : NM_CONNECTIVITY.none;
      // What NetworkManager sends: the old StateChanged signal and PropertiesChanged.
      bus.send(Message.newSignal(PATH, NM, 'StateChanged', 'u', [state]));
      bus.send(Message.newSignal(PATH, PROPS, 'PropertiesChanged', 'sa{sv}as', [NM, all(), []]));
    },
    stop: () => bus.disconnect(),
  };
}
