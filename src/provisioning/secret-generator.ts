import { randomBytes } from 'node:crypto';

import { Secret } from '../config/secret';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Length of generated client secrets; authentik itself generates 128 characters. */
export const CLIENT_SECRET_LENGTH = 128;

/**
 * Generates an alphanumeric client secret from the system's CSPRNG. Bytes at or above the
 * largest multiple of the alphabet size are dropped, so every character is equally likely.
 */
export function generateClientSecret(length = CLIENT_SECRET_LENGTH): Secret {
  const limit = 256 - (256 % ALPHABET.length);
  let result = '';
  while (result.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= limit) continue;
      result += ALPHABET[byte % ALPHABET.length];
      if (result.length === length) break;
    }
  }
  return new Secret(result);
}
