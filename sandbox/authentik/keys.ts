import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { type KeyAlgorithm } from './records';

/** Key material of one keypair, generated with node:crypto. */
export interface KeyMaterial {
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id in the JWKS: the MD5 hex digest of the private key PEM, as authentik derives it. */
  kid: string;
  /** Colon-separated lowercase hex digests. */
  fingerprintSha256: string;
  fingerprintSha1: string;
}

/**
 * Generates an RSA 2048-bit or an EC P-256 key pair. Generation runs on libuv's thread pool, so
 * a slow RSA key does not block the fake's event loop.
 */
export async function generateKeyMaterial(algorithm: KeyAlgorithm): Promise<KeyMaterial> {
  const { privateKey, publicKey } = await generatePair(algorithm);
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  // NOTE: authentik fingerprints the X.509 certificate. The fake has no certificate, so the
  // fingerprints are digests of the DER-encoded public key.
  const publicDer = publicKey.export({ type: 'spki', format: 'der' });
  return {
    algorithm,
    privateKey,
    publicKey,
    kid: createHash('md5').update(privatePem).digest('hex'),
    fingerprintSha256: colonHex(createHash('sha256').update(publicDer).digest()),
    fingerprintSha1: colonHex(createHash('sha1').update(publicDer).digest()),
  };
}

function generatePair(algorithm: KeyAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject): void => {
      if (error) reject(error);
      else resolve({ privateKey, publicKey });
    };
    if (algorithm === 'rsa') generateKeyPair('rsa', { modulusLength: 2048 }, done);
    else generateKeyPair('ec', { namedCurve: 'P-256' }, done);
  });
}

/** Signing algorithm authentik uses for a key: RS256 for RSA, ES256 for EC P-256. */
export function signingAlgorithm(algorithm: KeyAlgorithm): 'RS256' | 'ES256' {
  return algorithm === 'rsa' ? 'RS256' : 'ES256';
}

/**
 * Returns the public JWK that authentik's JWKS endpoint publishes for a key: `kty`, `kid`, `use`,
 * the key's public numbers (`n` and `e` for RSA, `crv`, `x` and `y` for EC), and for a signing
 * key its `alg`. An encryption key gets `alg: RSA-OAEP-256` and `enc: A256CBC-HS512` instead.
 * NOTE: authentik adds the certificate as `x5c`, `x5t` and `x5t#S256`, but the fake has no certificate.
 */
export function publicJwk(material: KeyMaterial, use: 'sig' | 'enc'): Record<string, string> {
  const exported = material.publicKey.export({ format: 'jwk' });
  const jwk: Record<string, string> =
    use === 'sig' ? { alg: signingAlgorithm(material.algorithm) } : { alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512' };
  jwk.kid = material.kid;
  jwk.kty = String(exported.kty);
  jwk.use = use;
  if (material.algorithm === 'rsa') {
    jwk.n = String(exported.n);
    jwk.e = String(exported.e);
  } else {
    jwk.crv = String(exported.crv);
    jwk.x = String(exported.x);
    jwk.y = String(exported.y);
  }
  return jwk;
}

function colonHex(digest: Buffer): string {
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}
