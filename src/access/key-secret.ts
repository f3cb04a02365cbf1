import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PREFIX_LENGTH = 12;
/** 40 characters of 62: about 238 bits. */
const SECRET_LENGTH = 40;
const KEY_PATTERN = new RegExp(`^mos_([A-Za-z0-9]{${PREFIX_LENGTH}})_[A-Za-z0-9]{${SECRET_LENGTH}}$`);

export interface NewSecret {
  /** The whole key, shown once. */
  key: string;
  prefix: string;
  digest: Buffer;
}

/** A new key, `mos_<prefix>_<secret>`: the prefix finds its row, the digest of the whole key proves it. */
export function newKeySecret(): NewSecret {
  const prefix = randomText(PREFIX_LENGTH);
  const key = `mos_${prefix}_${randomText(SECRET_LENGTH)}`;
  return { key, prefix, digest: digestOf(key) };
}

/** The prefix of a string shaped like one of our keys, else null (it may still be a CLIENT_API_KEYS key). */
export function prefixOf(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** The public start of a key as shown to people (`mos_<prefix>`), from the prefix its row stores. */
export function shownPrefix(prefix: string): string {
  return `mos_${prefix}`;
}

/** The stored prefix of a shown one (`mos_<prefix>`); a bare prefix is taken as it is. */
export function storedPrefix(shown: string): string {
  return shown.startsWith('mos_') ? shown.slice(4) : shown;
}

export function digestOf(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function randomText(length: number): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}
