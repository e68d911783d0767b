/** Exact amounts: no float anywhere between a backend's text and the bus. */
import { strict as assert } from 'node:assert';
import { formatUnits, parseUnits, plainDecimal } from '../../src/protocols/common/units.js';

describe('exact amounts', () => {
  it('wei and drops round-trip exactly', () => {
    for (const [text, decimals] of [
      ['0.000000000000000001', 18],
      ['123456789.123456789123456789', 18],
      ['1.5', 6],
      ['-0.05', 2],
      ['0', 6],
    ] as const) {
      assert.equal(formatUnits(parseUnits(text, decimals), decimals), text);
    }
    assert.throws(() => parseUnits('0.0000001', 6), /more than 6 decimals/);
  });

  it("plain decimals from the XRP Ledger's notations", () => {
    const cases: Array<[string, string | undefined]> = [
      ['10.5', '10.5'],
      ['12.50', '12.5'],
      ['0.005', '0.005'],
      ['1e-5', '0.00001'],
      ['1.5e3', '1500'],
      ['-2.5E-2', '-0.025'],
      ['0', '0'],
      ['-0', '0'],
      ['0e5', '0'],
      ['007', '7'],
      ['1234567890123456e-96', `0.${'0'.repeat(80)}1234567890123456`],
      ['1e101', undefined],
      ['1.', undefined],
      ['.5', undefined],
      ['0x10', undefined],
      ['NaN', undefined],
      ['1e', undefined],
      ['', undefined],
    ];
    for (const [text, plain] of cases) assert.equal(plainDecimal(text), plain, text);
  });
});
