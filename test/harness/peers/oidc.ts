// A real OpenID provider for the OAuth2 tests: npm oidc-provider (panva), in the test process,
// on 127.0.0.1 with a free port: authorization code + PKCE, refresh-token rotation, the device
// flow, introspection (for Dovecot and the DAV gate) and revocation, short token lifetimes.
// Its login and consent pages are the library's development pages; the tests fill them in over
// HTTP as a browser would (see browser.ts). Any login is accepted; `sub` and `email` are the login.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

export interface OidcPeer {
  readonly issuer: string;
  readonly port: number;
  /** The public (native) client the service signs in with. */
  readonly clientId: string;
  /** A confidential client allowed to introspect tokens (Dovecot, the DAV gate). */
  readonly introspector: { id: string; secret: string };
  readonly introspectionUrl: string;
  /** Token endpoint grants, by grant type. */
  readonly grants: Record<string, number>;
  /** Every token the provider issued (access and refresh), to look for leaks. */
  readonly issued: Set<string>;
  /** Requests to the revocation endpoint. */
  readonly revocations: { count: number };
  /** Revokes every grant of a user: its refresh and access tokens stop working. */
  revokeUser(sub: string): void;
  /** Stops accepting connections (the provider "goes away") or starts again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

type Payload = Record<string, unknown> & {
  accountId?: string;
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
};

/** The parts of oidc-provider (which ships no types) this peer uses. */
interface OidcProvider {
  on(event: string, listener: (...args: never[]) => void): void;
  use(middleware: (ctx: { path: string; method: string }, next: () => Promise<void>) => Promise<void>): void;
  listen(port: number, host: string): Server;
}
type OidcProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

/**
 * A memory adapter of our own, so a test can revoke a user's grants. oidc-provider awaits each
 * method; a map answers at once, so they return plain values.
 */
function memoryAdapter(store: Map<string, { payload: Payload; expires: number }>) {
  return class MemoryAdapter {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    upsert(id: string, payload: Payload, expiresIn: number) {
      store.set(this.key(id), { payload, expires: Date.now() + (expiresIn || 3600) * 1000 });
      if (payload.grantId) store.set(`grant:${payload.grantId}:${this.key(id)}`, { payload: {}, expires: Infinity });
      if (payload.userCode) store.set(`userCode:${payload.userCode}`, { payload: { id }, expires: Infinity });
      if (payload.uid) store.set(`uid:${payload.uid}`, { payload: { id }, expires: Infinity });
    }
    find(id: string) {
      const e = store.get(this.key(id));
      return e && e.expires > Date.now() ? e.payload : undefined;
    }
    findByUserCode(userCode: string) {
      const ref = store.get(`userCode:${userCode}`);
      return ref ? this.find(ref.payload.id as string) : undefined;
    }
    findByUid(uid: string) {
      const ref = store.get(`uid:${uid}`);
      return ref ? this.find(ref.payload.id as string) : undefined;
    }
    consume(id: string) {
      const e = store.get(this.key(id));
      if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
    }
    destroy(id: string) {
      store.delete(this.key(id));
    }
    revokeByGrantId(grantId: string) {
      for (const k of [...store.keys()]) {
        if (k.startsWith(`grant:${grantId}:`)) {
          store.delete(k.slice(`grant:${grantId}:`.length));
          store.delete(k);
        }
      }
    }
  };
}

export async function startOidc(options: { accessTokenTtl?: number } = {}): Promise<OidcPeer> {
  const { default: Provider } = (await import('oidc-provider')) as { default: OidcProviderClass };
  const store = new Map<string, { payload: Payload; expires: number }>();
  const introspector = { id: 'introspector', secret: randomBytes(16).toString('hex') };
  const clientId = `px-accounts-test-${randomBytes(3).toString('hex')}`;
  // the port first: the issuer names it
  const probe = (await import('node:net')).createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const issuer = `http://127.0.0.1:${port}`;
  const grants: Record<string, number> = {};
  const issued = new Set<string>();

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(store),
    clients: [
      {
        client_id: clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/oauth2/callback'],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      },
      {
        client_id: introspector.id,
        client_secret: introspector.secret,
        grant_types: [],
        redirect_uris: [],
        response_types: [],
      },
    ],
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    ttl: {
      AccessToken: options.accessTokenTtl ?? 120,
      RefreshToken: 3600,
      DeviceCode: 600,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    rotateRefreshToken: true,
    scopes: ['openid', 'offline_access', 'email', 'mail', 'dav'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // oidc-provider awaits these hooks; they answer at once.
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, email: sub, email_verified: true }),
    }),
    // A refresh token for every client allowed to refresh, as OAuth 2.0 providers (Microsoft's)
    // do for offline_access; OpenID's own rule (offline_access + consent) covers only OIDC requests.
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
  });
  provider.on('grant.success', (ctx: { oidc: { params: { grant_type: string }; body?: Record<string, unknown> } }) => {
    const type = ctx.oidc.params.grant_type;
    grants[type] = (grants[type] ?? 0) + 1;
  });
  for (const event of ['access_token.saved', 'refresh_token.saved', 'access_token.issued']) {
    provider.on(event, (token: { jti?: string }) => {
      if (token?.jti) issued.add(token.jti);
    });
  }
  const revocations = { count: 0 };
  provider.use(async (ctx: { path: string; method: string }, next: () => Promise<void>) => {
    if (ctx.method === 'POST' && ctx.path === '/token/revocation') revocations.count++;
    await next();
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc-provider server_error', err));

  let server: Server = provider.listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  const peer: OidcPeer = {
    issuer,
    port,
    clientId,
    introspector,
    grants,
    issued,
    revocations,
    introspectionUrl: `http://${introspector.id}:${introspector.secret}@127.0.0.1:${port}/token/introspection`,
    revokeUser(sub) {
      for (const [k, e] of [...store])
        if (e.payload.accountId === sub && /^(RefreshToken|AccessToken|Grant):/.test(k)) store.delete(k);
    },
    async pause() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
    async resume() {
      server = provider.listen(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
      });
    },
    async stop() {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  return peer;
}
