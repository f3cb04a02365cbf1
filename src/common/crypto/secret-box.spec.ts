import { loadConfig } from '../../config/app-config';
import { SecretBox } from './secret-box';

const boxWithKey = (byte: number) => new SecretBox(loadConfig({ ENCRYPTION_KEY: Buffer.alloc(32, byte).toString('base64') }));

describe('SecretBox', () => {
  it('round-trips a secret without the plaintext appearing in the sealed value', () => {
    const box = boxWithKey(1);
    const sealed = box.seal('sk-live-123456');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain('sk-live');
    expect(box.open(sealed)).toBe('sk-live-123456');
  });

  it('uses a fresh IV each time', () => {
    const box = boxWithKey(1);
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses values sealed with another key or altered', () => {
    const sealed = boxWithKey(1).seal('secret');
    expect(() => boxWithKey(2).open(sealed)).toThrow();
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}=`;
    expect(() => boxWithKey(1).open(tampered)).toThrow();
  });
});
