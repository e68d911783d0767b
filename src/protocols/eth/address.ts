/**
 * Ethereum addresses as people paste them: EIP-55 checksummed (a wrong capitalisation is a
 * typo and is refused), or all one case (accepted, stored checksummed). Something that is a
 * private key or a seed phrase is refused with a message saying so — and never quoted back,
 * logged or stored.
 */
import { createRequire } from 'node:module';
import { invalidArgument } from '../../errors.js';
import { looksSecret } from '../common/wallet-settings.js';

// @ethereumjs/util takes ~100 ms to load: only when the first address is checked, not at start-up.
type EthUtil = typeof import('@ethereumjs/util');
let util: EthUtil | undefined;
const ethUtil = (): EthUtil => (util ??= createRequire(import.meta.url)('@ethereumjs/util') as EthUtil);

export function checkEthAddress(value: string, what = 'the address'): string {
  const secret = looksSecret(value);
  if (secret) {
    throw invalidArgument(
      `${what} is ${secret}, not an address: it was not stored. Watch-only wallets need only the public address; never give a private key to any app`,
    );
  }
  const v = value.trim();
  const { isValidAddress, isValidChecksumAddress, toChecksumAddress } = ethUtil();
  if (!/^0x[0-9a-fA-F]{40}$/.test(v) || !isValidAddress(v))
    throw invalidArgument(`${what} is not an Ethereum address (0x and 40 hexadecimal digits)`);
  const oneCase = v.slice(2) === v.slice(2).toLowerCase() || v.slice(2) === v.slice(2).toUpperCase();
  if (!oneCase && !isValidChecksumAddress(v)) {
    throw invalidArgument(
      `${what} has a wrong EIP-55 checksum (its capital letters do not match): a typo? Check it, or give it all in lower case`,
    );
  }
  return toChecksumAddress(v.toLowerCase());
}
