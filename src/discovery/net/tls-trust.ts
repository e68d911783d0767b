/**
 * Discovery trusts exactly what the checks trust (src/protocols/common/trust.ts): Node's roots,
 * the system store and NODE_EXTRA_CA_CERTS — so a server it finds is one a check can reach.
 */
import type tls from 'node:tls';
import { tlsOptions } from '../../protocols/common/trust.js';

export async function secureContext(host: string): Promise<tls.SecureContext> {
  return (await tlsOptions({ host, port: 0, security: 'tls', username: '' })).secureContext;
}
