import { AuthentikClient, type AuthentikClientOptions } from '../../src/authentik/client';
import { type ProviderFields } from '../../src/authentik/types';
import { Secret } from '../../src/config/secret';
import { EspoSsoError } from '../../src/errors';
import { type UpstreamCall } from '../../src/http/observer';
import { RateLimiter } from '../../src/http/rate-limiter';
import { captureLogs, page, StubServer } from './stub-server';

const TOKEN = 'unit-test-token-5f1c2a9e7b';
const CLIENT_SECRET = 'unit-client-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const FLOW_PK = '3f0e5a0c-2d7c-4a39-9a3e-0c3e0f9b1a11';
const INVALIDATION_PK = '7d3b7f64-5d1e-4c6f-8d8f-2a4b1c9e0f22';
const KEY_PK = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

const VERSION_PATH = 'GET /api/v3/admin/version/';

function versionResponse(versionCurrent: string): { json: unknown } {
  return {
    json: {
      version_current: versionCurrent,
      version_latest: versionCurrent,
      version_latest_valid: true,
      build_hash: '',
      outdated: false,
      outpost_outdated: false,
    },
  };
}

function providerJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pk: 12,
    name: 'espo-crm',
    authentication_flow: null,
    authorization_flow: FLOW_PK,
    invalidation_flow: INVALIDATION_PK,
    property_mappings: [],
    component: 'ak-provider-oauth2-form',
    assigned_application_slug: null,
    assigned_application_name: null,
    assigned_backchannel_application_slug: null,
    assigned_backchannel_application_name: null,
    verbose_name: 'OAuth2/OpenID Provider',
    verbose_name_plural: 'OAuth2/OpenID Providers',
    meta_model_name: 'authentik_providers_oauth2.oauth2provider',
    client_type: 'confidential',
    client_id: 'c'.repeat(40),
    client_secret: 's'.repeat(128),
    signing_key: KEY_PK,
    encryption_key: null,
    redirect_uris: [{ matching_mode: 'strict', url: 'https://crm.example.com/oauth-callback.php' }],
    sub_mode: 'user_username',
    ...overrides,
  };
}

function providerFields(overrides: Partial<ProviderFields> = {}): ProviderFields {
  return {
    name: 'espo-crm',
    authorizationFlow: FLOW_PK,
    invalidationFlow: INVALIDATION_PK,
    redirectUri: 'https://crm.example.com/oauth-callback.php',
    clientType: 'confidential',
    clientSecret: new Secret(CLIENT_SECRET),
    subMode: 'user_username',
    signingKey: KEY_PK,
    propertyMappings: [],
    ...overrides,
  };
}

/** Runs `action` and returns the EspoSsoError it rejects with; fails the test otherwise. */
async function expectFailure(action: Promise<unknown>): Promise<EspoSsoError> {
  try {
    await action;
  } catch (error) {
    if (error instanceof EspoSsoError) return error;
    throw new Error(`expected an EspoSsoError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('AuthentikClient against a stub server', () => {
  let stub: StubServer;
  let calls: UpstreamCall[];
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(async () => {
    stub = new StubServer();
    await stub.start();
    calls = [];
    logs = captureLogs();
  });

  afterEach(async () => {
    await stub.stop();
  });

  function client(overrides: Partial<AuthentikClientOptions> = {}): AuthentikClient {
    return new AuthentikClient({
      apiUrl: stub.url,
      token: new Secret(TOKEN),
      timeoutMs: 2000,
      correlationId: 'corr-unit-1',
      observer: (call) => calls.push(call),
      logger: logs.logger,
      ...overrides,
    });
  }

  describe('requests', () => {
    test('carry token, correlation id and route', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/providers/oauth2/12/', { json: providerJson() });

      await client().getProvider(12);

      expect(stub.requests).toHaveLength(2);
      for (const request of stub.requests) {
        expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
        expect(request.headers['x-correlation-id']).toBe('corr-unit-1');
      }
      expect(calls.map((call) => [call.system, call.method, call.route, call.status])).toEqual([
        ['authentik', 'GET', '/admin/version/', 200],
        ['authentik', 'GET', '/providers/oauth2/{pk}/', 200],
      ]);
      expect(calls.every((call) => call.durationMs >= 0)).toBe(true);
    });

    test('work below a path prefix', async () => {
      stub.on('GET /auth/api/v3/admin/version/', versionResponse('2026.8.3'));
      stub.on('GET /auth/api/v3/core/applications/espo/', {
        json: { pk: FLOW_PK, slug: 'espo', name: 'EspoCRM', provider: 12, meta_launch_url: '' },
      });

      const application = await client({ apiUrl: `${stub.url}/auth/` }).getApplication('espo');

      expect(application?.slug).toBe('espo');
      expect(calls.map((call) => call.route)).toEqual(['/admin/version/', '/core/applications/{slug}/']);
    });

    test('wait for the rate limiter', async () => {
      class CountingLimiter extends RateLimiter {
        acquired = 0;
        override async acquire(): Promise<void> {
          this.acquired += 1;
        }
      }
      const limiter = new CountingLimiter(0);
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/providers/oauth2/12/', { json: providerJson() });

      await client({ rateLimiter: limiter }).getProvider(12);

      expect(limiter.acquired).toBe(2);
    });

    test('reject a relative API URL', () => {
      const construct = (): AuthentikClient => client({ apiUrl: '/api' });
      expect(construct).toThrow(EspoSsoError);
    });
  });

  describe('version', () => {
    test('is read once for many calls', async () => {
      stub.on(VERSION_PATH, versionResponse('2025.10.2'));
      stub.on('GET /api/v3/providers/oauth2/12/', { json: providerJson() });
      const authentik = client();

      const [version] = await Promise.all([authentik.getVersion(), authentik.getProvider(12), authentik.getProvider(12)]);

      expect(version).toEqual({ raw: '2025.10.2', major: 2025, minor: 10, patch: 2 });
      expect(stub.requestsTo('GET', '/api/v3/admin/version/')).toHaveLength(1);
    });

    test('failed read is retried', async () => {
      let responses = 0;
      stub.on(VERSION_PATH, () => {
        responses += 1;
        return responses === 1 ? { status: 503, text: 'down' } : versionResponse('2026.8.3');
      });
      const authentik = client();

      const error = await expectFailure(authentik.getVersion());
      const version = await authentik.getVersion();

      expect(error.code).toBe('upstream_unavailable');
      expect(version.raw).toBe('2026.8.3');
    });

    test('older server is rejected', async () => {
      stub.on(VERSION_PATH, versionResponse('2024.10.2'));
      const authentik = client();

      const version = await authentik.getVersion();
      const error = await expectFailure(authentik.findFlowBySlug('default-provider-invalidation-flow'));

      expect(version.raw).toBe('2024.10.2');
      expect(error.code).toBe('unsupported_version');
      expect(error.message).toContain('2024.10.2');
      expect(error.message).toContain('2024.10.3');
      expect(stub.requests).toHaveLength(1);
    });

    test('newer server logs a warning', async () => {
      stub.on(VERSION_PATH, versionResponse('2027.2.1'));

      await client().getVersion();

      const warnings = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 40);
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0].msg)).toContain('2027.2.1');
    });

    test('text that is no version is invalid', async () => {
      stub.on(VERSION_PATH, versionResponse('main-branch'));

      const error = await expectFailure(client().getVersion());

      expect(error.code).toBe('invalid_response');
      expect(error.message).toContain('main-branch');
    });
  });

  describe('lists', () => {
    test('follow pagination.next', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/propertymappings/provider/scope/', (request) => {
        const current = Number(request.query.get('page') ?? '1');
        const mapping = {
          pk: `00000000-0000-4000-8000-00000000000${current}`,
          managed: current === 2 ? 'goauthentik.io/providers/oauth2/scope-email' : 'goauthentik.io/providers/oauth2/scope-openid',
          name: `mapping ${current}`,
          scope_name: current === 2 ? 'email' : 'openid',
          expression: 'return {}',
        };
        return { json: page([mapping], current, 3) };
      });

      const mappings = await client().findScopeMappings([
        'goauthentik.io/providers/oauth2/scope-openid',
        'goauthentik.io/providers/oauth2/scope-email',
      ]);

      const requests = stub.requestsTo('GET', '/api/v3/propertymappings/provider/scope/');
      expect(requests.map((request) => request.query.get('page'))).toEqual(['1', '2', '3']);
      expect(requests[0].query.getAll('managed')).toEqual([
        'goauthentik.io/providers/oauth2/scope-openid',
        'goauthentik.io/providers/oauth2/scope-email',
      ]);
      expect(mappings.map((mapping) => mapping.scopeName)).toEqual(['openid', 'email', 'openid']);
    });

    test('drop items the filter should have excluded', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/propertymappings/provider/scope/', {
        json: page(
          [
            { pk: FLOW_PK, managed: 'goauthentik.io/providers/oauth2/scope-openid', name: 'openid', scope_name: 'openid' },
            { pk: KEY_PK, managed: null, name: 'custom', scope_name: 'custom' },
          ],
          1,
          1,
        ),
      });

      const mappings = await client().findScopeMappings(['goauthentik.io/providers/oauth2/scope-openid']);

      expect(mappings).toEqual([
        { pk: FLOW_PK, managed: 'goauthentik.io/providers/oauth2/scope-openid', name: 'openid', scopeName: 'openid' },
      ]);
    });

    test('empty managed list sends nothing', async () => {
      const mappings = await client().findScopeMappings([]);

      expect(mappings).toEqual([]);
      expect(stub.requests).toHaveLength(0);
    });

    test('next page that goes backwards is invalid', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/flows/instances/', {
        json: { pagination: { next: 1, previous: 0, count: 300, current: 1, total_pages: 3, start_index: 1, end_index: 100 }, results: [] },
      });

      const error = await expectFailure(client().findFlowBySlug('x'));

      expect(error.code).toBe('invalid_response');
      expect(stub.requestsTo('GET', '/api/v3/flows/instances/')).toHaveLength(1);
    });
  });

  describe('keypairs', () => {
    function keypair(name: string, fields: Record<string, unknown>): Record<string, unknown> {
      return {
        pk: KEY_PK,
        name,
        fingerprint_sha256: null,
        fingerprint_sha1: null,
        cert_expiry: null,
        cert_subject: null,
        private_key_available: true,
        certificate_download_url: '',
        private_key_download_url: '',
        managed: null,
        ...fields,
      };
    }

    test('older servers name the type private_key_type', async () => {
      stub.on(VERSION_PATH, versionResponse('2024.10.3'));
      stub.on('GET /api/v3/crypto/certificatekeypairs/', {
        json: page(
          [
            keypair('rsa key', { private_key_type: 'rsa' }),
            keypair('ec key', { private_key_type: 'ellipticcurve' }),
            keypair('ed key', { private_key_type: 'ed25519' }),
            keypair('no key', { private_key_type: null, private_key_available: false }),
          ],
          1,
          1,
        ),
      });

      const all = await client().listKeypairsWithPrivateKey();

      expect(all.map((entry) => [entry.name, entry.keyType])).toEqual([
        ['rsa key', 'rsa'],
        ['ec key', 'ec'],
        ['ed key', 'unknown'],
      ]);
      const request = stub.requestsTo('GET', '/api/v3/crypto/certificatekeypairs/')[0];
      expect(request.query.get('has_key')).toBe('true');
      expect(request.query.has('key_type')).toBe(false);
    });

    test('rsa filter is applied locally before 2025.12', async () => {
      stub.on(VERSION_PATH, versionResponse('2025.10.2'));
      stub.on('GET /api/v3/crypto/certificatekeypairs/', {
        json: page([keypair('rsa key', { private_key_type: 'rsa' }), keypair('ec key', { private_key_type: 'ec' })], 1, 1),
      });

      const rsa = await client().listKeypairsWithPrivateKey({ keyType: 'rsa' });

      expect(rsa.map((entry) => entry.name)).toEqual(['rsa key']);
      expect(stub.requests[1].query.has('key_type')).toBe(false);
    });

    test('rsa filter is sent from 2025.12', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/crypto/certificatekeypairs/', {
        json: page([keypair('rsa key', { key_type: 'rsa' })], 1, 1),
      });

      const rsa = await client().listKeypairsWithPrivateKey({ keyType: 'rsa' });

      expect(rsa).toEqual([{ pk: KEY_PK, name: 'rsa key', keyType: 'rsa', hasPrivateKey: true }]);
      expect(stub.requests[1].query.getAll('key_type')).toEqual(['rsa']);
    });
  });

  describe('providers', () => {
    test('create without returned secret keeps sent one', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('POST /api/v3/providers/oauth2/', { status: 201, json: providerJson({ client_secret: undefined }) });

      const provider = await client().createProvider(providerFields());

      expect(provider.clientSecret?.reveal()).toBe(CLIENT_SECRET);
      const body = JSON.parse(stub.requestsTo('POST', '/api/v3/providers/oauth2/')[0].body) as Record<string, unknown>;
      expect(body.client_secret).toBe(CLIENT_SECRET);
    });

    test('empty returned secret keeps sent one', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('POST /api/v3/providers/oauth2/', { status: 201, json: providerJson({ client_secret: '' }) });

      const provider = await client().createProvider(providerFields());

      expect(provider.clientSecret?.reveal()).toBe(CLIENT_SECRET);
    });

    test('read without client_secret has none', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/providers/oauth2/12/', { json: providerJson({ client_secret: undefined }) });

      const provider = await client().getProvider(12);

      expect(provider?.clientSecret).toBeUndefined();
    });

    test('empty client secret is never sent', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));

      const error = await expectFailure(client().createProvider(providerFields({ clientSecret: new Secret('') })));

      expect(error.code).toBe('internal');
      expect(stub.requestsTo('POST', '/api/v3/providers/oauth2/')).toHaveLength(0);
    });

    test('create sends chosen grant types from 2026.5', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('POST /api/v3/providers/oauth2/', { status: 201, json: providerJson() });

      await client().createProvider(providerFields({ grantTypes: ['authorization_code'], encryptionKey: null }));

      const body = JSON.parse(stub.requestsTo('POST', '/api/v3/providers/oauth2/')[0].body) as Record<string, unknown>;
      expect(body.grant_types).toEqual(['authorization_code']);
      expect(body.encryption_key).toBeNull();
    });

    test('create omits grant types before 2026.5', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.4.2'));
      stub.on('POST /api/v3/providers/oauth2/', { status: 201, json: providerJson() });

      await client().createProvider(providerFields({ grantTypes: ['authorization_code'] }));

      const body = JSON.parse(stub.requestsTo('POST', '/api/v3/providers/oauth2/')[0].body) as Record<string, unknown>;
      expect(body).not.toHaveProperty('grant_types');
      expect(body).not.toHaveProperty('encryption_key');
    });

    test('unknown grant type is never sent', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));

      const error = await expectFailure(client().updateProvider(12, { grantTypes: ['authorization-code'] }));

      expect(error.code).toBe('internal');
      expect(error.message).toContain('"authorization-code"');
      expect(stub.requestsTo('PATCH', '/api/v3/providers/oauth2/12/')).toHaveLength(0);
    });

    test('unknown sub mode is never sent', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));

      const error = await expectFailure(client().createProvider(providerFields({ subMode: 'username' })));

      expect(error.code).toBe('internal');
      expect(error.message).toContain('user_username');
      expect(stub.requestsTo('POST', '/api/v3/providers/oauth2/')).toHaveLength(0);
    });

    test('find matches the name exactly', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/providers/oauth2/', {
        json: page([providerJson({ pk: 3, name: 'espo-crm-old' }), providerJson({ pk: 4, name: 'espo-crm' })], 1, 1),
      });

      const provider = await client().findProviderByName('espo-crm');

      expect(provider?.pk).toBe(4);
      expect(stub.requests[1].query.get('name')).toBe('espo-crm');
    });

    test('redirect_uris as a string is invalid', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('GET /api/v3/providers/oauth2/12/', {
        json: providerJson({ redirect_uris: 'https://crm.example.com/oauth-callback.php' }),
      });

      const error = await expectFailure(client().getProvider(12));

      expect(error.code).toBe('invalid_response');
      expect(error.message).toContain('redirect_uris');
      expect(error.retryable).toBe(false);
    });

    test('delete ignores 404', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));

      await client().deleteProvider(99);

      expect(stub.requestsTo('DELETE', '/api/v3/providers/oauth2/99/')).toHaveLength(1);
    });
  });

  describe('errors', () => {
    test('400 lists nested field errors', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('POST /api/v3/providers/oauth2/', {
        status: 400,
        json: {
          invalidation_flow: ['This field is required.'],
          redirect_uris: [{}, { url: ['Enter a valid URL.'] }],
          non_field_errors: ['Something else.'],
        },
      });

      const error = await expectFailure(client().createProvider(providerFields()));

      expect(error.code).toBe('upstream_rejected');
      expect(error.status).toBe(400);
      expect(error.retryable).toBe(false);
      expect(error.system).toBe('authentik');
      expect(error.message).toContain('create the OAuth2 provider "espo-crm"');
      expect(error.message).toContain('invalidation_flow: This field is required.');
      expect(error.message).toContain('redirect_uris[1].url: Enter a valid URL.');
      expect(error.message).toContain('Something else.');
      expect(error.message).not.toContain(CLIENT_SECRET);
    });

    test('secret quoted by the server is redacted', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('POST /api/v3/providers/oauth2/', {
        status: 400,
        json: { client_secret: [`"${CLIENT_SECRET}" is too weak.`], name: [`token ${TOKEN} echoed`] },
      });

      const error = await expectFailure(client().createProvider(providerFields()));

      expect(error.message).toContain('[redacted]');
      expect(error.message).not.toContain(CLIENT_SECRET);
      expect(error.message).not.toContain(TOKEN);
    });

    test('401 is unauthorized with a hint', async () => {
      stub.on(VERSION_PATH, { status: 401, json: { detail: 'Authentication credentials were not provided.' } });

      const error = await expectFailure(client().getVersion());

      expect(error.code).toBe('unauthorized');
      expect(error.status).toBe(401);
      expect(error.retryable).toBe(false);
      expect(error.hint).toContain('token');
    });

    test('403 for a rejected token is unauthorized', async () => {
      stub.on(VERSION_PATH, { status: 403, json: { detail: 'Token invalid/expired' } });

      const error = await expectFailure(client().getVersion());

      expect(error.code).toBe('unauthorized');
      expect(error.status).toBe(403);
      expect(error.hint).toContain('invalid or expired');
    });

    test('403 names the missing permission', async () => {
      stub.on(VERSION_PATH, versionResponse('2026.8.3'));
      stub.on('POST /api/v3/core/applications/', {
        status: 403,
        json: { detail: 'You do not have permission to perform this action.' },
      });

      const error = await expectFailure(
        client().createApplication({ slug: 'espo', name: 'EspoCRM', provider: 12, metaLaunchUrl: 'https://crm.example.com' }),
      );

      expect(error.code).toBe('forbidden');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('authentik_core.add_application');
      expect(error.hint).toContain('authentik_core.add_application');
    });

    test('429 is retryable', async () => {
      stub.on(VERSION_PATH, { status: 429, json: { detail: 'Request was throttled.' } });

      const error = await expectFailure(client().getVersion());

      expect(error.code).toBe('upstream_unavailable');
      expect(error.retryable).toBe(true);
    });

    test('500 HTML page is not quoted', async () => {
      stub.on(VERSION_PATH, { status: 500, text: '<html><body>Server Error (500)</body></html>' });

      const error = await expectFailure(client().getVersion());

      expect(error.code).toBe('upstream_unavailable');
      expect(error.retryable).toBe(true);
      expect(error.message).not.toContain('<html>');
    });

    test('body that is not JSON is invalid', async () => {
      stub.on(VERSION_PATH, { status: 200, text: '<html>login</html>' });

      const error = await expectFailure(client().getVersion());

      expect(error.code).toBe('invalid_response');
    });

    test('no response is a timeout', async () => {
      stub.on(VERSION_PATH, { stall: true });

      const error = await expectFailure(client({ timeoutMs: 200 }).getVersion());

      expect(error.code).toBe('timeout');
      expect(error.retryable).toBe(true);
      expect(error.system).toBe('authentik');
      expect(calls).toEqual([expect.objectContaining({ route: '/admin/version/', status: 0 })]);
    });

    test('stalled body is a timeout', async () => {
      stub.on(VERSION_PATH, { stallBody: true });

      const error = await expectFailure(client({ timeoutMs: 200 }).getVersion());

      expect(error.code).toBe('timeout');
      expect(error.retryable).toBe(true);
    });

    test('reset is a network error', async () => {
      stub.on(VERSION_PATH, { reset: true });

      const error = await expectFailure(client().getVersion());

      expect(error.code).toBe('network');
      expect(error.retryable).toBe(true);
      expect(calls).toEqual([expect.objectContaining({ status: 0 })]);
    });

    test('refused connection is a network error', async () => {
      const url = stub.url;
      await stub.stop();

      const error = await expectFailure(client({ apiUrl: url }).getVersion());

      expect(error.code).toBe('network');
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('ECONNREFUSED');
    });
  });

  describe('OIDC endpoints', () => {
    test('discovery is read without the token', async () => {
      stub.on('GET /application/o/espo/.well-known/openid-configuration', {
        json: {
          issuer: `${stub.url}/application/o/espo/`,
          authorization_endpoint: `${stub.url}/application/o/authorize/`,
          token_endpoint: `${stub.url}/application/o/token/`,
          userinfo_endpoint: `${stub.url}/application/o/userinfo/`,
          end_session_endpoint: `${stub.url}/application/o/espo/end-session/`,
          jwks_uri: `${stub.url}/application/o/espo/jwks/`,
          id_token_signing_alg_values_supported: ['RS256'],
        },
      });

      const discovery = await client().getDiscovery('espo');

      expect(discovery.issuer).toBe(`${stub.url}/application/o/espo/`);
      expect(discovery.idTokenSigningAlgValuesSupported).toEqual(['RS256']);
      expect(stub.requests).toHaveLength(1);
      expect(stub.requests[0].headers.authorization).toBeUndefined();
      expect(stub.requests[0].headers['x-correlation-id']).toBe('corr-unit-1');
      expect(calls[0].route).toBe('/application/o/{slug}/.well-known/openid-configuration');
    });

    test('missing application is not_found', async () => {
      const error = await expectFailure(client().getJwks('missing'));

      expect(error.code).toBe('not_found');
      expect(error.status).toBe(404);
      expect(calls[0].route).toBe('/application/o/{slug}/jwks/');
    });

    test('JWKS keys are mapped', async () => {
      stub.on('GET /application/o/espo/jwks/', { json: { keys: [{ kty: 'RSA', kid: 'k1', alg: 'RS256', n: 'x', e: 'AQAB' }] } });

      const keys = await client().getJwks('espo');

      expect(keys).toEqual([{ kty: 'RSA', kid: 'k1', alg: 'RS256' }]);
    });
  });

  test('logs never contain the token or the client secret', async () => {
    stub.on(VERSION_PATH, versionResponse('2026.8.3'));
    stub.on('POST /api/v3/providers/oauth2/', { status: 201, json: providerJson({ client_secret: CLIENT_SECRET }) });
    stub.on('GET /api/v3/providers/oauth2/12/', { status: 400, json: { client_secret: [CLIENT_SECRET] } });

    const authentik = client();
    await authentik.createProvider(providerFields());
    await expectFailure(authentik.getProvider(12));

    expect(logs.lines.length).toBeGreaterThan(0);
    const text = logs.lines.join('');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(CLIENT_SECRET);
  });
});
