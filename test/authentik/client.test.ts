import { AuthentikClient, type AuthentikClientOptions } from '../../src/authentik/client';
import { type ProviderFields } from '../../src/authentik/types';
import { Secret } from '../../src/config/secret';
import { EspoSsoError } from '../../src/errors';
import { type UpstreamCall } from '../../src/http/observer';
import {
  ALL_PERMISSIONS,
  AUTHENTIK_PERMISSIONS,
  AUTHENTIK_VERSIONS,
  FakeAuthentik,
  SEEDED_KEYPAIR_NAME,
  VERSION_CURRENT,
} from '../../sandbox/authentik';
import { captureLogs } from './stub-server';

const TOKEN = 'ak-integration-token-7c41d0e2b9';
const CLIENT_SECRET = 'IntegrationClientSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ROTATED_SECRET = 'RotatedClientSecret9876543210zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA';
const CORRELATION_ID = 'corr-integration-42';
const REDIRECT_URI = 'https://crm.example.com/oauth-callback.php';
const SCOPE_OPENID = 'goauthentik.io/providers/oauth2/scope-openid';
const SCOPE_EMAIL = 'goauthentik.io/providers/oauth2/scope-email';
const SCOPE_PROFILE = 'goauthentik.io/providers/oauth2/scope-profile';

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

function parseBody(rawBody: string): unknown {
  return JSON.parse(rawBody) as unknown;
}

describe.each(AUTHENTIK_VERSIONS)('AuthentikClient against fake authentik %s', (version) => {
  const hasGrantTypes = version === '2026.8';
  let fake: FakeAuthentik;
  let calls: UpstreamCall[];
  let logs: ReturnType<typeof captureLogs>;
  /** Every error the tests saw, checked for secrets at the end of each test. */
  let errors: EspoSsoError[];

  beforeEach(async () => {
    fake = new FakeAuthentik({ version, token: TOKEN });
    await fake.start();
    calls = [];
    logs = captureLogs();
    errors = [];
  });

  afterEach(async () => {
    await fake.stop();

    const text = [...logs.lines, ...errors.map((error) => `${error.message} ${error.hint ?? ''}`)].join('\n');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain(ROTATED_SECRET);
  });

  function client(overrides: Partial<AuthentikClientOptions> = {}): AuthentikClient {
    return new AuthentikClient({
      apiUrl: fake.url,
      token: new Secret(TOKEN),
      timeoutMs: 5000,
      correlationId: CORRELATION_ID,
      observer: (call) => calls.push(call),
      logger: logs.logger,
      ...overrides,
    });
  }

  async function failure(action: Promise<unknown>): Promise<EspoSsoError> {
    const error = await expectFailure(action);
    errors.push(error);
    return error;
  }

  /** Looks up flows, scope mappings and the RSA key, as provisioning does, and returns provider fields. */
  async function lookUpProviderFields(authentik: AuthentikClient): Promise<ProviderFields> {
    const authorization = await authentik.findFlowBySlug('default-provider-authorization-explicit-consent');
    const invalidation = await authentik.findFlowBySlug('default-provider-invalidation-flow');
    const mappings = await authentik.findScopeMappings([SCOPE_OPENID, SCOPE_EMAIL, SCOPE_PROFILE]);
    const [key] = await authentik.listKeypairsWithPrivateKey({ keyType: 'rsa' });
    if (!authorization || !invalidation || !key) throw new Error('fake authentik lacks its seeded objects');
    return {
      name: 'espo-crm',
      authorizationFlow: authorization.pk,
      invalidationFlow: invalidation.pk,
      redirectUri: REDIRECT_URI,
      clientType: 'confidential',
      clientSecret: new Secret(CLIENT_SECRET),
      subMode: 'user_username',
      signingKey: key.pk,
      propertyMappings: mappings.map((mapping) => mapping.pk),
    };
  }

  test('reads the version', async () => {
    const current = await client().getVersion();

    expect(current.raw).toBe(VERSION_CURRENT[version]);
    expect(calls).toEqual([expect.objectContaining({ system: 'authentik', method: 'GET', route: '/admin/version/', status: 200 })]);
  });

  test('creates provider and application with exact bodies', async () => {
    const authentik = client();
    const fields = await lookUpProviderFields(authentik);

    const provider = await authentik.createProvider(fields);
    const application = await authentik.createApplication({
      slug: 'espo',
      name: 'EspoCRM',
      provider: provider.pk,
      metaLaunchUrl: 'https://crm.example.com',
    });

    const [providerRequest] = fake.server.requestsTo('POST', '/api/v3/providers/oauth2/');
    const expectedProviderBody: Record<string, unknown> = {
      name: 'espo-crm',
      authorization_flow: fields.authorizationFlow,
      invalidation_flow: fields.invalidationFlow,
      property_mappings: fields.propertyMappings,
      client_type: 'confidential',
      client_secret: CLIENT_SECRET,
      signing_key: fields.signingKey,
      redirect_uris: [{ matching_mode: 'strict', url: REDIRECT_URI }],
      sub_mode: 'user_username',
    };
    if (hasGrantTypes) expectedProviderBody.grant_types = ['authorization_code', 'refresh_token'];
    expect(parseBody(providerRequest.rawBody)).toEqual(expectedProviderBody);

    const [applicationRequest] = fake.server.requestsTo('POST', '/api/v3/core/applications/');
    expect(parseBody(applicationRequest.rawBody)).toEqual({
      name: 'EspoCRM',
      slug: 'espo',
      provider: provider.pk,
      meta_launch_url: 'https://crm.example.com',
    });
    expect(fake.ignoredInputs()).toEqual([]);

    expect(fields.propertyMappings).toHaveLength(3);
    expect(provider.clientSecret?.reveal()).toBe(CLIENT_SECRET);
    expect(provider.redirectUris).toEqual([{ matchingMode: 'strict', url: REDIRECT_URI }]);
    expect(provider.grantTypes).toEqual(hasGrantTypes ? ['authorization_code', 'refresh_token'] : undefined);
    expect(provider.subMode).toBe('user_username');
    expect(provider.encryptionKey).toBeNull();
    expect(application).toEqual({
      pk: expect.any(String),
      slug: 'espo',
      name: 'EspoCRM',
      provider: provider.pk,
      metaLaunchUrl: 'https://crm.example.com',
    });

    const [stored] = fake.providers();
    expect(stored.client_secret).toBe(CLIENT_SECRET);
    expect(stored.grant_types).toEqual(hasGrantTypes ? ['authorization_code', 'refresh_token'] : undefined);
  });

  test('sends the correlation id on every request', async () => {
    const authentik = client();
    const fields = await lookUpProviderFields(authentik);
    const provider = await authentik.createProvider(fields);
    await authentik.createApplication({ slug: 'espo', name: 'EspoCRM', provider: provider.pk, metaLaunchUrl: '' });
    await authentik.getDiscovery('espo');
    await authentik.getJwks('espo');
    await authentik.deleteApplication('espo');
    await authentik.deleteProvider(provider.pk);

    expect(fake.server.requests.length).toBeGreaterThanOrEqual(10);
    for (const request of fake.server.requests) {
      expect(request.headers['x-correlation-id']).toBe(CORRELATION_ID);
    }
    expect(calls).toHaveLength(fake.server.requests.length);
  });

  test('reports route templates without ids', async () => {
    const authentik = client();
    const fields = await lookUpProviderFields(authentik);
    const provider = await authentik.createProvider(fields);
    await authentik.getProvider(provider.pk);
    await authentik.updateProvider(provider.pk, { name: 'espo-crm-renamed' });
    await authentik.getApplication('espo');

    expect(new Set(calls.map((call) => `${call.method} ${call.route} ${call.status}`))).toEqual(
      new Set([
        'GET /admin/version/ 200',
        'GET /flows/instances/ 200',
        'GET /propertymappings/provider/scope/ 200',
        'GET /crypto/certificatekeypairs/ 200',
        'POST /providers/oauth2/ 201',
        'GET /providers/oauth2/{pk}/ 200',
        'PATCH /providers/oauth2/{pk}/ 200',
        'GET /core/applications/{slug}/ 404',
      ]),
    );
  });

  test('rotates the client secret with PATCH', async () => {
    const authentik = client();
    const provider = await authentik.createProvider(await lookUpProviderFields(authentik));

    const updated = await authentik.updateProvider(provider.pk, { clientSecret: new Secret(ROTATED_SECRET) });

    const [patch] = fake.server.requestsTo('PATCH', `/api/v3/providers/oauth2/${provider.pk}/`);
    expect(parseBody(patch.rawBody)).toEqual({ client_secret: ROTATED_SECRET });
    expect(updated.clientSecret?.reveal()).toBe(ROTATED_SECRET);
    expect(fake.providers()[0].client_secret).toBe(ROTATED_SECRET);
  });

  test('update sets missing grant types', async () => {
    const orphan = fake.addProvider({ name: 'espo-crm' });
    const authentik = client();

    const updated = await authentik.updateProvider(orphan.pk, {
      grantTypes: ['authorization_code', 'refresh_token'],
      encryptionKey: null,
    });

    const [patch] = fake.server.requestsTo('PATCH', `/api/v3/providers/oauth2/${orphan.pk}/`);
    const expected: Record<string, unknown> = { encryption_key: null };
    if (hasGrantTypes) expected.grant_types = ['authorization_code', 'refresh_token'];
    expect(parseBody(patch.rawBody)).toEqual(expected);
    expect(updated.grantTypes).toEqual(hasGrantTypes ? ['authorization_code', 'refresh_token'] : undefined);
    expect(updated.encryptionKey).toBeNull();
    expect(fake.ignoredInputs()).toEqual([]);
  });

  test('finds an orphaned provider by exact name', async () => {
    fake.addProvider({ name: 'espo-crm-old' });
    const orphan = fake.addProvider({ name: 'espo-crm' });
    const authentik = client();

    const found = await authentik.findProviderByName('espo-crm');
    const missing = await authentik.findProviderByName('espo');

    expect(found?.pk).toBe(orphan.pk);
    expect(found?.assignedApplicationSlug).toBeNull();
    expect(found?.clientSecret?.reveal()).toBe(orphan.client_secret);
    expect(missing).toBeUndefined();
  });

  test('missing objects are undefined', async () => {
    const authentik = client();

    expect(await authentik.getApplication('espo')).toBeUndefined();
    expect(await authentik.getProvider(999)).toBeUndefined();
    expect(await authentik.findFlowBySlug('no-such-flow')).toBeUndefined();
  });

  test('deleting twice succeeds', async () => {
    const authentik = client();
    const provider = await authentik.createProvider(await lookUpProviderFields(authentik));
    await authentik.createApplication({ slug: 'espo', name: 'EspoCRM', provider: provider.pk, metaLaunchUrl: '' });

    await authentik.deleteApplication('espo');
    await authentik.deleteProvider(provider.pk);
    await authentik.deleteApplication('espo');
    await authentik.deleteProvider(provider.pk);

    expect(fake.applications()).toEqual([]);
    expect(fake.providers()).toEqual([]);
    expect(fake.server.requestsTo('DELETE', /^\/api\/v3\//).map((request) => request.status)).toEqual([204, 204, 404, 404]);
  });

  test('reads every page of scope mappings', async () => {
    const managed: string[] = [];
    for (let index = 0; index < 120; index++) {
      const id = `example.com/test/scope-${String(index).padStart(3, '0')}`;
      fake.addScopeMapping(id, `test mapping ${index}`, `scope${index}`);
      managed.push(id);
    }

    const mappings = await client().findScopeMappings([SCOPE_OPENID, ...managed]);

    expect(mappings).toHaveLength(121);
    expect(new Set(mappings.map((mapping) => mapping.managed))).toEqual(new Set([SCOPE_OPENID, ...managed]));
    const pages = fake.server.requestsTo('GET', '/api/v3/propertymappings/provider/scope/');
    expect(pages.map((request) => request.query.get('page'))).toEqual(['1', '2']);
    expect(pages[0].query.getAll('managed')).toHaveLength(121);
  });

  test('reads every page of keypairs', async () => {
    for (let index = 0; index < 130; index++) {
      fake.addKeypair({ name: `ec key ${String(index).padStart(3, '0')}`, keyType: 'ec', hasKey: true });
    }
    fake.addKeypair({ name: 'certificate only', keyType: 'rsa', hasKey: false });
    const authentik = client();

    const all = await authentik.listKeypairsWithPrivateKey();
    const rsa = await authentik.listKeypairsWithPrivateKey({ keyType: 'rsa' });

    expect(all).toHaveLength(131);
    expect(all.filter((keypair) => keypair.keyType === 'ec')).toHaveLength(130);
    expect(rsa).toEqual([{ pk: expect.any(String), name: SEEDED_KEYPAIR_NAME, keyType: 'rsa', hasPrivateKey: true }]);

    const requests = fake.server.requestsTo('GET', '/api/v3/crypto/certificatekeypairs/');
    expect(requests.map((request) => request.query.get('page'))).toEqual(hasGrantTypes ? ['1', '2', '1'] : ['1', '2', '1', '2']);
    expect(requests.every((request) => request.query.get('has_key') === 'true')).toBe(true);
    const sentKeyType = requests.map((request) => request.query.getAll('key_type'));
    expect(sentKeyType).toEqual(hasGrantTypes ? [[], [], ['rsa']] : [[], [], [], []]);
    expect(fake.ignoredInputs()).toEqual([]);
  });

  test('reports an EC-only signing key', async () => {
    await fake.stop();
    fake = new FakeAuthentik({ version, token: TOKEN, keys: 'ec-only' });
    await fake.start();
    const authentik = client();

    const all = await authentik.listKeypairsWithPrivateKey();
    const rsa = await authentik.listKeypairsWithPrivateKey({ keyType: 'rsa' });

    expect(all.map((keypair) => keypair.keyType)).toEqual(['ec']);
    expect(rsa).toEqual([]);
  });

  test('400 names the server field errors', async () => {
    const authentik = client();
    const fields = await lookUpProviderFields(authentik);

    const error = await failure(
      authentik.createProvider({ ...fields, authorizationFlow: '00000000-0000-4000-8000-000000000000' }),
    );

    expect(error.code).toBe('upstream_rejected');
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.system).toBe('authentik');
    expect(error.message).toContain('authorization_flow');
    expect(error.message).toContain('object does not exist');
  });

  test('403 names the missing permission', async () => {
    fake.setPermissions(new Set(ALL_PERMISSIONS.filter((permission) => permission !== AUTHENTIK_PERMISSIONS.addApplication)));
    const authentik = client();
    const provider = await authentik.createProvider(await lookUpProviderFields(authentik));

    const error = await failure(
      authentik.createApplication({ slug: 'espo', name: 'EspoCRM', provider: provider.pk, metaLaunchUrl: '' }),
    );

    expect(error.code).toBe('forbidden');
    expect(error.status).toBe(403);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('authentik_core.add_application');
    expect(error.hint).toContain('authentik_core.add_application');
  });

  test('403 on a list names the view permission', async () => {
    fake.setPermissions(new Set(ALL_PERMISSIONS.filter((permission) => permission !== AUTHENTIK_PERMISSIONS.viewKeypair)));

    const error = await failure(client().listKeypairsWithPrivateKey());

    expect(error.code).toBe('forbidden');
    expect(error.hint).toContain('authentik_crypto.view_certificatekeypair');
  });

  test('wrong token is unauthorized', async () => {
    const error = await failure(client({ token: new Secret('ak-wrong-token-123456') }).getVersion());

    expect(error.code).toBe('unauthorized');
    expect(error.retryable).toBe(false);
    expect(error.hint).toContain('token');
    expect(error.message).not.toContain('ak-wrong-token-123456');
  });

  test('503 is retryable upstream_unavailable', async () => {
    fake.server.injectFault({ method: 'GET', path: '/api/v3/core/applications/', sequence: [503] });
    const authentik = client();

    const error = await failure(authentik.getApplication('espo'));
    const retried = await authentik.getApplication('espo');

    expect(error.code).toBe('upstream_unavailable');
    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(retried).toBeUndefined();
  });

  test('no response is a retryable timeout', async () => {
    fake.server.injectFault({ method: 'POST', path: '/api/v3/providers/oauth2/', sequence: ['timeout'] });
    const authentik = client({ timeoutMs: 300 });
    const fields = await lookUpProviderFields(authentik);

    const error = await failure(authentik.createProvider(fields));

    expect(error.code).toBe('timeout');
    expect(error.retryable).toBe(true);
    expect(error.system).toBe('authentik');
    expect(calls[calls.length - 1]).toEqual(expect.objectContaining({ method: 'POST', route: '/providers/oauth2/', status: 0 }));
  });

  test('reset is a retryable network error', async () => {
    fake.server.injectFault({ method: 'GET', path: '/api/v3/admin/version/', sequence: ['reset'] });

    const error = await failure(client().getVersion());

    expect(error.code).toBe('network');
    expect(error.retryable).toBe(true);
  });

  test('reads discovery and JWKS', async () => {
    const authentik = client();
    const provider = await authentik.createProvider(await lookUpProviderFields(authentik));
    await authentik.createApplication({ slug: 'espo', name: 'EspoCRM', provider: provider.pk, metaLaunchUrl: '' });

    const discovery = await authentik.getDiscovery('espo');
    const keys = await authentik.getJwks('espo');

    expect(discovery.issuer).toBe(`${fake.url}/application/o/espo/`);
    expect(discovery.tokenEndpoint).toBe(`${fake.url}/application/o/token/`);
    expect(discovery.jwksUri).toBe(`${fake.url}/application/o/espo/jwks/`);
    expect(discovery.idTokenSigningAlgValuesSupported).toContain('RS256');
    expect(keys).toEqual([{ kty: 'RSA', kid: expect.any(String), alg: 'RS256' }]);
    const oidcRequests = fake.server.requests.filter((request) => request.path.startsWith('/application/o/'));
    expect(oidcRequests).toHaveLength(2);
    expect(oidcRequests.every((request) => request.headers.authorization === undefined)).toBe(true);
  });

  test('discovery of an unknown slug is not_found', async () => {
    const error = await failure(client().getDiscovery('missing'));

    expect(error.code).toBe('not_found');
    expect(error.status).toBe(404);
    expect(error.message).not.toContain('<h1>');
  });
});
