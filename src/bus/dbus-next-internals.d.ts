/** dbus-next's parser buffer: internal, patched by dbus-next-fixes.ts. */
declare module 'dbus-next/lib/dbus-buffer.js' {
  const DBusBuffer: { prototype: object };
  export default DBusBuffer;
}
