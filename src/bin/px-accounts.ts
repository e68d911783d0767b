#!/usr/bin/env node
/** px-accounts: the command line of org.pantherx.Accounts (see docs/cli.md). */
import { main } from '../cli/main.js';

// `px-accounts watch | head -1`: the reader went away, which is a normal way to stop.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await main(process.argv.slice(2));
// Output to pipes and files is written synchronously on Linux, so exiting now loses nothing.
process.exit(code);
