/**
 * XRP Ledger addresses (ripple-address-codec): classic `r…` addresses and X-addresses (XLS-5d:
 * the address and a destination tag in one). A secret (`s…` family seed), a private key or a
 * seed phrase given as the address is refused, never quoted, logged or stored.
 */
import { createRequire } from 'node:module';
import { invalidArgument } from '../../errors.js';
import { looksSecret } from '../common/wallet-settings.js';

type Codec = typeof import('ripple-address-codec');
let codec: Codec | undefined;
/** Loaded with the first address checked, not at start-up. */
export const rippleCodec = (): Codec => (codec ??= createRequire(import.meta.url)('ripple-address-codec') as Codec);

export interface XrpTarget {
  classic: string;
  tag: number | undefined;
  test: boolean;
}

export function checkXrpAddress(value: string, what = 'the address'): string {
  const v = value.trim();
  const secret =
    looksSecret(v) ?? (/^s[1-9A-HJ-NP-Za-km-z]{24,34}$/.test(v) ? 'an XRP secret (a family seed)' : undefined);
  if (secret) {
    throw invalidArgument(
      `${what} is ${secret}, not an address: it was not stored. Watch-only wallets need only the public address; never give a secret to any app`,
    );
  }
  const c = rippleCodec();
  if (c.isValidClassicAddress(v) || c.isValidXAddress(v)) return v;
  throw invalidArgument(
    `${what} is not an XRP Ledger address (a classic r… address or an X-address; its checksum may be wrong)`,
  );
}

/** The account and destination tag an address (classic or X-address) stands for. */
export function xrpTarget(address: string): XrpTarget {
  const c = rippleCodec();
  if (c.isValidXAddress(address)) {
    const d = c.xAddressToClassicAddress(address);
    return { classic: d.classicAddress, tag: d.tag === false ? undefined : d.tag, test: d.test };
  }
  return { classic: address, tag: undefined, test: false };
}
