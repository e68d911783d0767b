/**
 * Exact amounts: integers of the smallest unit (wei, satoshi, drop) as bigint, shown as decimal
 * strings in the coin's unit. No floating point anywhere: 18-decimal wei round-trip exactly.
 */

/** 2^256 - 1: no EVM quantity is larger; a backend that says otherwise is not to be believed. */
export const MAX_UINT256 = (1n << 256n) - 1n;

/** `1500000000000000000n, 18` → `'1.5'`; `-5n, 2` → `'-0.05'`. */
export function formatUnits(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  const fraction = (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** `'1.5', 18` → `1500000000000000000n`; refuses more decimals than the unit has. */
export function parseUnits(text: string, decimals: number): bigint {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`'${text.slice(0, 40)}' is not a decimal amount`);
  const fraction = m[3] ?? '';
  if (fraction.length > decimals) throw new Error(`'${text.slice(0, 40)}' has more than ${decimals} decimals`);
  const value = BigInt(m[2]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  return m[1] ? -value : value;
}

/** A JSON-RPC quantity (`0x…`, no leading zeros needed) within 0 … 2^256-1; throws otherwise. */
export function hexQuantity(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) throw new Error(`${what} is not a quantity`);
  const n = BigInt(value);
  if (n > MAX_UINT256) throw new Error(`${what} is out of range`);
  return n;
}
