/**
 * Guards for two dbus-next 0.10.2 parser bugs reachable by any caller:
 * - a body with an fd ('h') but no fds makes the parser throw inside the socket handler (an
 *   uncaught exception that kills the process). No method of ours takes an fd, so the value is
 *   only looked at to answer "wrong signature": -1 (no fd) is enough.
 * - dictionaries become plain objects, so a key "__proto__" is silently dropped (or replaces
 *   the prototype). It is renamed to "[__proto__]", which every validator then refuses.
 */
// Imported, not required through createRequire: the start-up bundle must patch the same copy
// of dbus-next that it bundles.
import DBusBuffer from 'dbus-next/lib/dbus-buffer.js';

interface DBusBufferProto {
  readSimpleType(this: { fds?: unknown[]; readInt32(): number }, type: string): unknown;
  readTree(tree: { type: string }): unknown;
}

export function guardParser(): void {
  const { prototype } = DBusBuffer as unknown as { prototype: DBusBufferProto };
  const original = prototype.readSimpleType;
  if ((original as { guarded?: boolean }).guarded) return;
  const guarded = function (this: { fds?: unknown[]; readInt32(): number }, type: string): unknown {
    if (type === 'h') {
      const index = this.readInt32();
      return this.fds && index < this.fds.length ? this.fds[index] : -1;
    }
    return original.call(this, type);
  };
  (guarded as { guarded?: boolean }).guarded = true;
  prototype.readSimpleType = guarded;
  const readTree = prototype.readTree;
  prototype.readTree = function (this: unknown, tree: { type: string }): unknown {
    const value = readTree.call(this, tree);
    if (tree.type === '{' && Array.isArray(value) && value[0] === '__proto__') value[0] = '[__proto__]';
    return value;
  };
}
