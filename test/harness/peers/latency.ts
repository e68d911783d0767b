// An in-process TCP proxy that adds a fixed one-way delay in both directions, so that loopback
// behaves like a network with a round-trip time of 2 × delayMs. Order is kept; a close travels
// with the same delay as the data before it.
import net from 'node:net';

export interface LatencyProxy {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startLatencyProxy(
  target: { host: string; port: number },
  delayMs: number,
  listenHost = '127.0.0.1',
): Promise<LatencyProxy> {
  const sockets = new Set<net.Socket>();
  const pipe = (from: net.Socket, to: net.Socket) => {
    let last = 0;
    const later = (fn: () => void) => {
      const at = Math.max(Date.now() + delayMs, last);
      last = at;
      setTimeout(fn, at - Date.now());
    };
    from.on('data', (chunk: Buffer) =>
      later(() => {
        if (!to.destroyed) to.write(chunk);
      }),
    );
    from.on('end', () => later(() => to.end()));
    from.on('error', () => later(() => to.destroy()));
    from.on('close', (hadError: boolean) => {
      if (hadError) later(() => to.destroy());
    });
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client);
    sockets.add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listenHost, port: 0, backlog: 511 }, () => resolve());
  });
  return {
    host: listenHost,
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
