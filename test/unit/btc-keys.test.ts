/**
 * Bitcoin identifiers against the protocols' published test vectors: BIP-173/350 addresses,
 * BIP-84 and BIP-86 derivation from extended public keys, Electrum's script hash; private keys
 * refused without being quoted; an address of another network named as such.
 */
import { strict as assert } from 'node:assert';
import { checkBtcIdentifier, scriptOf, watchTarget } from '../../src/protocols/btc/keys.js';
import { electrumScriptHash } from '../../src/protocols/btc/electrum.js';
import { AccountsError } from '../../src/errors.js';

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AccountsError, String(err));
    assert.equal(err.kind, 'InvalidArgument');
    return err.message;
  }
  assert.fail('accepted');
};

describe('Bitcoin identifiers', () => {
  it('BIP-173 and BIP-350 addresses: valid ones accepted (bech32 stored in lower case), bad checksums and bech32-for-bech32m refused', () => {
    assert.equal(
      checkBtcIdentifier('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'a', 'mainnet'),
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    );
    assert.equal(
      checkBtcIdentifier('tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7', 'a', 'testnet'),
      'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7',
    );
    assert.equal(
      checkBtcIdentifier('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'a', 'mainnet'),
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0',
    );
    assert.equal(
      checkBtcIdentifier('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', 'a', 'mainnet'),
      '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
    );
    assert.equal(
      checkBtcIdentifier('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', 'a', 'mainnet'),
      '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
    );
    assert.match(
      refusal(() => checkBtcIdentifier('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'a', 'mainnet')),
      /checksum may be wrong/,
    );
    // BIP-350: a taproot address with a bech32 (not bech32m) checksum.
    assert.match(
      refusal(() =>
        checkBtcIdentifier('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd', 'a', 'mainnet'),
      ),
      /not a Bitcoin address/,
    );
    assert.match(
      refusal(() => checkBtcIdentifier('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb', 'a', 'mainnet')),
      /not a Bitcoin address/,
    );
  });

  it('an address of another network is named as such', () => {
    assert.match(
      refusal(() =>
        checkBtcIdentifier('tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7', 'a', 'mainnet'),
      ),
      /network testnet, but the account's network is mainnet/,
    );
    assert.match(
      refusal(() => checkBtcIdentifier('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'a', 'regtest')),
      /network mainnet/,
    );
  });

  it('private keys (WIF, xprv, hex, BIP-38) and seed phrases are refused and not quoted', () => {
    const cases: Record<string, RegExp> = {
      '5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ': /WIF/,
      xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi:
        /extended private key/,
      '0c28fca386c7a227600b2fe50b7cae11ec86d3bf1fbe471be89827e19d72aa1d': /a private key/,
      '6PRVWUbkzzsbcVac2qwfssoUJAN1Xhrg6bNk8J7Nzm5H7kxEbn2Nh2ZoGg': /BIP-38/,
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about': /seed phrase/,
    };
    for (const [secret, why] of Object.entries(cases)) {
      const message = refusal(() => checkBtcIdentifier(secret, 'the account', 'mainnet'));
      assert.match(message, why);
      assert.ok(!message.includes(secret.slice(0, 12)), 'the secret was quoted');
    }
  });

  it('BIP-84: a zpub derives the published receive and change addresses', () => {
    const zpub =
      'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
    assert.equal(checkBtcIdentifier(zpub, 'a', 'mainnet'), zpub);
    const t = watchTarget(zpub, 'mainnet', '');
    assert.equal(t.scriptType, 'p2wpkh');
    assert.equal(t.address(0, 0), 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
    assert.equal(t.address(0, 1), 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g');
    assert.equal(t.address(1, 0), 'bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el');
    assert.match(
      refusal(() => checkBtcIdentifier(zpub, 'a', 'testnet')),
      /network mainnet/,
    );
  });

  it('BIP-86: an xpub read as p2tr derives the published taproot address', () => {
    const xpub =
      'xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ';
    assert.equal(
      watchTarget(xpub, 'mainnet', 'p2tr').address(0, 0),
      'bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr',
    );
    assert.equal(watchTarget(xpub, 'mainnet', '').scriptType, 'p2pkh');
  });

  it("Electrum script hash: the protocol documentation's example", () => {
    const script = scriptOf('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', 'mainnet');
    assert.equal(Buffer.from(script).toString('hex'), '76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac');
    assert.equal(electrumScriptHash(script), '8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161');
  });
});
