import { createPublicKey } from 'node:crypto';
import { AUTHENTIK_VERSIONS, type SeedKeys } from '../../../sandbox/authentik';
import { asJson, getWithHost, type Harness, startFake } from './helpers';

const cases: [SeedKeys, string][] = [
  ['rsa', 'RS256'],
  ['ec-only', 'ES256'],
  ['none', 'HS256'],
];

describe.each(AUTHENTIK_VERSIONS)('fake authentik %s: OIDC endpoints', (version) => {
  describe.each(cases)('keys %s', (keys, algorithm) => {
    let harness: Harness;

    beforeAll(async () => {
      harness = await startFake({ version, keys });
      const signingKey = harness.fake.keypairs()[0]?.pk ?? null;
      const provider = harness.fake.addProvider({
        name: 'espocrm-sales',
        signing_key: signingKey,
        property_mappings: harness.fake.scopeMappings().slice(1, 3).map((mapping) => mapping.pk),
      });
      harness.fake.addApplication({ name: 'EspoCRM Sales', slug: 'espocrm-sales', provider: provider.pk });
    });

    afterAll(async () => {
      await harness.stop();
    });

    test('discovery document', async () => {
      const response = await harness.call('GET', '/application/o/espocrm-sales/.well-known/openid-configuration', undefined, {
        Authorization: '',
      });

      expect(response.status).toBe(200);
      const document = asJson(response.body);
      const oauth = `${harness.base}/application/o`;
      expect(document.issuer).toBe(`${oauth}/espocrm-sales/`);
      expect(document.authorization_endpoint).toBe(`${oauth}/authorize/`);
      expect(document.token_endpoint).toBe(`${oauth}/token/`);
      expect(document.userinfo_endpoint).toBe(`${oauth}/userinfo/`);
      expect(document.end_session_endpoint).toBe(`${oauth}/espocrm-sales/end-session/`);
      expect(document.jwks_uri).toBe(`${oauth}/espocrm-sales/jwks/`);
      expect(document.id_token_signing_alg_values_supported).toEqual([algorithm]);
      expect(document.scopes_supported).toEqual(['email', 'profile', 'openid']);
    });

    test('JWKS', async () => {
      const response = await harness.call('GET', '/application/o/espocrm-sales/jwks/', undefined, { Authorization: '' });

      expect(response.status).toBe(200);
      const body = asJson(response.body);
      if (keys === 'none') {
        // authentik's JWKS view omits `keys` entirely when there is no signing key.
        expect(body).toEqual({});
        return;
      }
      const keyList = body.keys as Record<string, string>[];
      expect(keyList).toHaveLength(1);
      const [jwk] = keyList;
      expect(jwk.alg).toBe(algorithm);
      expect(jwk.use).toBe('sig');
      expect(jwk.kid).toMatch(/^[0-9a-f]{32}$/);
      if (keys === 'rsa') {
        expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
        expect(jwk.kty).toBe('RSA');
        expect(jwk.e).toBe('AQAB');
      } else {
        expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
        expect(jwk.kty).toBe('EC');
        expect(jwk.crv).toBe('P-256');
      }
      // The JWK must be a usable public key, not a look-alike.
      const key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
      expect(key.asymmetricKeyType).toBe(keys === 'rsa' ? 'rsa' : 'ec');
    });
  });
});

describe('fake authentik OIDC URLs', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startFake({ keys: 'none' });
    const provider = harness.fake.addProvider({ name: 'crm' });
    harness.fake.addApplication({ name: 'CRM', slug: 'crm', provider: provider.pk });
    harness.fake.addApplication({ name: 'No provider', slug: 'bare' });
  });

  afterAll(async () => {
    await harness.stop();
  });

  test('built from the Host header', async () => {
    const response = await getWithHost(harness.base, '/application/o/crm/.well-known/openid-configuration', {
      Host: 'sso.example.com',
      'X-Forwarded-Proto': 'https',
    });

    expect(response.status).toBe(200);
    expect(asJson(response.body).issuer).toBe('https://sso.example.com/application/o/crm/');
    expect(asJson(response.body).token_endpoint).toBe('https://sso.example.com/application/o/token/');
  });

  test('JWKS lists the encryption key', async () => {
    const keypair = harness.fake.addKeypair({ name: 'encryption', keyType: 'rsa', hasKey: true });
    const provider = harness.fake.addProvider({ name: 'encrypted', encryption_key: keypair.pk });
    harness.fake.addApplication({ name: 'Encrypted', slug: 'encrypted', provider: provider.pk });

    const response = await harness.call('GET', '/application/o/encrypted/jwks/');

    const keys = asJson(response.body).keys as Record<string, string>[];
    expect(keys).toHaveLength(1);
    expect(keys[0].use).toBe('enc');
    expect(keys[0].alg).toBe('RSA-OAEP-256');
    expect(keys[0].enc).toBe('A256CBC-HS512');
  });

  test('unknown slug is 404', async () => {
    const unknown = await harness.call('GET', '/application/o/absent/.well-known/openid-configuration');
    const withoutProvider = await harness.call('GET', '/application/o/bare/jwks/');

    expect(unknown.status).toBe(404);
    expect(withoutProvider.status).toBe(404);
  });
});
