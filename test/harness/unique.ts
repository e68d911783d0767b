/** Names and secrets for tests: unique per run and per call, made at run time, like nothing real. */
import { randomBytes } from 'node:crypto';

let counter = 0;

/** A fresh account name on example.org (the pid keeps runs on one machine apart). */
export const uniqueUser = (prefix = 'user') => `${prefix}${++counter}-${process.pid}@example.org`;

/** A test secret: random, never starting with '-' (which a command line would read as an option). */
export const testSecret = () => `test-${randomBytes(12).toString('hex')}`;
