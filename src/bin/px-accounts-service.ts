#!/usr/bin/env node
// (The bus and systemd exec this file with MALLOC_ARENA_MAX=1, set by their launch files: one
// malloc arena instead of one per thread that ever allocated (glibc's default: up to 8 per
// core): idle RSS -3.5 to -5 MB at 1 to 1 000 accounts, start-up no slower; docs/benchmarks.md.
// Not in this shebang (`env -S`): packagers rewrite `#!/usr/bin/env node` to their node, Guix's
// patch-shebangs among them, and leave an `env -S` line alone, which then needs node on the
// bus's PATH.)
/** px-accounts-service [--replace] [--accounts-dir DIR] [--no-background-check] [--goa] [--verbose] */
import { parseArgs } from 'node:util';
import { log, setVerbose } from '../log.js';
import { defaultAccountsDir, startService } from '../service.js';

// glibc read it at start; the window, browsers and helpers the service starts keep their own arenas.
delete process.env.MALLOC_ARENA_MAX;

const USAGE = `Usage: px-accounts-service [OPTIONS]
Serves org.pantherx.Accounts on the D-Bus session bus.

  --replace              take the bus name over from a running instance
  --accounts-dir DIR     account files (default $PX_ACCOUNTS_DIR or ~/.userdata/accounts)
  --no-background-check  do not verify accounts at start-up ($PX_ACCOUNTS_NO_BACKGROUND_CHECK=1)
  --goa                  also serve the accounts to GNOME Online Accounts clients as
                         org.gnome.OnlineAccounts ($PX_ACCOUNTS_GOA=1; docs/goa.md)
  --verbose              log debug messages
  --help                 show this help`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        replace: { type: 'boolean', default: false },
        'accounts-dir': { type: 'string' },
        'no-background-check': { type: 'boolean', default: false },
        goa: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`px-accounts-service: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  setVerbose(Boolean(args.verbose));
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    log.error('DBUS_SESSION_BUS_ADDRESS is not set: there is no session bus to serve on');
    return 1;
  }
  // Signals are taken from the start: the name is on the bus (and a SIGTERM may come) before
  // start-up has finished; one that came early stops the service as soon as it is there.
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  let early = false;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      log.info(`${signal} received`);
      if (service) void service.stop(0);
      else early = true;
    });
  }
  try {
    service = await startService({
      accountsDir: args['accounts-dir'] ?? defaultAccountsDir(),
      replace: Boolean(args.replace),
      backgroundCheck: !args['no-background-check'] && process.env.PX_ACCOUNTS_NO_BACKGROUND_CHECK !== '1',
      secretTimeoutMs: Number(process.env.PX_ACCOUNTS_SECRET_TIMEOUT_MS) || undefined,
      goa: Boolean(args.goa) || process.env.PX_ACCOUNTS_GOA === '1',
    });
  } catch (err) {
    log.error(`cannot start: ${(err as Error).message}`);
    return 1;
  }
  if (early) void service.stop(0);
  return service.stopped;
}

main().then(
  (status) => process.exit(status),
  (err: Error) => {
    log.error(`fatal: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
