/** dbus-next's parser buffer: internal, patched by ../dbus-next-adapter.ts. */
declare module 'dbus-next/lib/dbus-buffer.js' {
  const DBusBuffer: { prototype: object };
  export default DBusBuffer;
}

/** dbus-next's message (un)marshalling; its reader is replaced by fast-reader.ts. */
declare module 'dbus-next/lib/message.js' {
  const message: { unmarshalMessages: unknown };
  export default message;
}
