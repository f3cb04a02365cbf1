import { digestOf, newKeySecret, prefixOf, sameDigest, shownPrefix, storedPrefix } from './key-secret';

describe('client key secrets', () => {
  it('makes keys whose prefix is readable back and whose digest proves them', () => {
    const secret = newKeySecret();
    expect(secret.key).toMatch(/^mos_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$/);
    expect(prefixOf(secret.key)).toBe(secret.prefix);
    expect(sameDigest(digestOf(secret.key), secret.digest)).toBe(true);
    expect(sameDigest(digestOf(`${secret.key}x`), secret.digest)).toBe(false);
  });

  it('never makes the same key twice in a thousand', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => newKeySecret().key));
    expect(keys.size).toBe(1000);
  });

  it('reads no prefix from strings not shaped like its keys', () => {
    for (const other of ['sk-abc', 'mos_short_x', `mos_${'a'.repeat(12)}_${'b'.repeat(39)}`, `mos_${'a'.repeat(12)}_${'b'.repeat(40)}\n`]) {
      expect(prefixOf(other)).toBeNull();
    }
  });

  it('shows a prefix as the key starts, and reads the stored one back from either form', () => {
    const secret = newKeySecret();
    expect(secret.key.startsWith(`${shownPrefix(secret.prefix)}_`)).toBe(true);
    expect(storedPrefix(shownPrefix(secret.prefix))).toBe(secret.prefix);
    expect(storedPrefix(secret.prefix)).toBe(secret.prefix);
  });
});
