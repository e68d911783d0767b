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

/**
 * A decimal as a plain decimal string, exactly: `'1e-5'` → `'0.00001'`, `'12.50'` → `'12.5'`,
 * `'-0'` → `'0'` (the XRP Ledger writes issued amounts either way). Undefined for anything that
 * is not a decimal, or whose exponent is beyond ±100 (the Ledger's range is -96 … 80).
 */
export function plainDecimal(text: string): string | undefined {
  const m = /^(-)?(\d{1,40})(?:\.(\d{1,40}))?(?:[eE]([-+]?\d{1,3}))?$/.exec(text);
  if (!m) return undefined;
  const exponent = Number(m[4] ?? 0);
  if (Math.abs(exponent) > 100) return undefined;
  const fraction = m[3] ?? '';
  let digits = (m[2]! + fraction).replace(/^0+(?=\d)/, '');
  let point = digits.length - fraction.length + exponent; // digits before the decimal point
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  }
  digits = digits.padEnd(point, '0');
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const rest = digits.slice(point).replace(/0+$/, '');
  const out = rest ? `${whole}.${rest}` : whole;
  return m[1] && /[1-9]/.test(out) ? `-${out}` : out;
}
