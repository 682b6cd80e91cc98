import {
  ALL_PERMISSIONS,
  AUTHENTIK_PERMISSIONS,
  AUTHENTIK_VERSIONS,
  schemaViolations,
  SEEDED_KEYPAIR_NAME,
} from '../../../sandbox/authentik';
import { asJson, type Harness, results, startFake } from './helpers';

describe.each(AUTHENTIK_VERSIONS)('fake authentik %s: authentication and lists', (version) => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startFake({ version });
  });

  afterEach(async () => {
    await harness.stop();
  });

  test('missing token is 403', async () => {
    const response = await harness.call('GET', '/api/v3/providers/oauth2/', undefined, { Authorization: '' });

    expect(response.status).toBe(403);
    expect(response.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  test('wrong token is 403', async () => {
    const response = await harness.call('GET', '/api/v3/admin/version/', undefined, { Authorization: 'Bearer wrong' });

    expect(response.status).toBe(403);
    expect(response.body).toEqual({ detail: 'Token invalid/expired' });
  });

  test('POST without token stores nothing', async () => {
    const response = await harness.call('POST', '/api/v3/core/applications/', { name: 'A', slug: 'a' }, { Authorization: '' });

    expect(response.status).toBe(403);
    expect(harness.fake.applications()).toEqual([]);
  });

  test('list without view permission is 403', async () => {
    harness.fake.setPermissions(
      new Set(ALL_PERMISSIONS.filter((permission) => permission !== AUTHENTIK_PERMISSIONS.viewProvider)),
    );

    const list = await harness.call('GET', '/api/v3/providers/oauth2/');
    const version = await harness.call('GET', '/api/v3/admin/version/');

    expect(list.status).toBe(403);
    expect(list.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect(version.status).toBe(200);
  });

  test('flows paginate by 100', async () => {
    for (let i = 0; i < 150; i++) harness.fake.addFlow(`enrollment-${String(i).padStart(3, '0')}`, 'enrollment');

    const first = await harness.call('GET', '/api/v3/flows/instances/?designation=enrollment');
    const second = await harness.call('GET', '/api/v3/flows/instances/?designation=enrollment&page=2');
    const beyond = await harness.call('GET', '/api/v3/flows/instances/?designation=enrollment&page=3');

    expect(first.status).toBe(200);
    expect(asJson(first.body).pagination).toEqual({
      next: 2,
      previous: 0,
      count: 150,
      current: 1,
      total_pages: 2,
      start_index: 1,
      end_index: 100,
    });
    expect(results(first.body)).toHaveLength(100);
    expect(asJson(second.body).pagination).toEqual({
      next: 0,
      previous: 1,
      count: 150,
      current: 2,
      total_pages: 2,
      start_index: 101,
      end_index: 150,
    });
    expect(results(second.body)).toHaveLength(50);
    expect(beyond.status).toBe(404);
    expect(beyond.body).toEqual({ detail: 'Invalid page.' });

    const slugs = [...results(first.body), ...results(second.body)].map((flow) => flow.slug);
    expect(new Set(slugs).size).toBe(150);
    expect(schemaViolations('PaginatedFlowList', first.body)).toEqual([]);
  });

  test('page_size changes the page length', async () => {
    for (let i = 0; i < 150; i++) harness.fake.addFlow(`enrollment-${String(i).padStart(3, '0')}`, 'enrollment');

    const response = await harness.call('GET', '/api/v3/flows/instances/?designation=enrollment&page_size=40&page=4');

    expect(results(response.body)).toHaveLength(30);
    expect(asJson(response.body).pagination).toMatchObject({ total_pages: 4, current: 4, start_index: 121, end_index: 150 });
  });

  test('flow found by slug', async () => {
    const response = await harness.call('GET', '/api/v3/flows/instances/?slug=default-provider-invalidation-flow');

    const found = results(response.body);
    expect(found).toHaveLength(1);
    expect(found[0].pk).toBe(harness.fake.flow('default-provider-invalidation-flow').pk);
    expect(found[0].designation).toBe('invalidation');
  });

  test('scope mappings filter by repeated managed', async () => {
    const response = await harness.call(
      'GET',
      '/api/v3/propertymappings/provider/scope/?managed=goauthentik.io/providers/oauth2/scope-openid' +
        '&managed=goauthentik.io/providers/oauth2/scope-email',
    );

    expect(response.status).toBe(200);
    expect(results(response.body).map((mapping) => mapping.managed)).toEqual([
      'goauthentik.io/providers/oauth2/scope-email',
      'goauthentik.io/providers/oauth2/scope-openid',
    ]);
    expect(schemaViolations('PaginatedScopeMappingList', response.body)).toEqual([]);
  });

  test('keypairs report the key type by version', async () => {
    harness.fake.addKeypair({ name: 'ec-key', keyType: 'ec', hasKey: true });
    harness.fake.addKeypair({ name: 'certificate-only', keyType: 'rsa', hasKey: false });

    const response = await harness.call('GET', '/api/v3/crypto/certificatekeypairs/?has_key=true&key_type=rsa');

    expect(response.status).toBe(200);
    const found = results(response.body);
    if (version === '2026.8') {
      expect(found.map((keypair) => [keypair.name, keypair.key_type])).toEqual([[SEEDED_KEYPAIR_NAME, 'rsa']]);
      expect(found.every((keypair) => !('private_key_type' in keypair))).toBe(true);
      expect(schemaViolations('PaginatedCertificateKeyPairList', response.body)).toEqual([]);
      expect(harness.fake.ignoredInputs()).toEqual([]);
    } else {
      // Older servers do not know the key_type filter, so the EC key comes back as well.
      expect(found.map((keypair) => [keypair.name, keypair.private_key_type])).toEqual([
        [SEEDED_KEYPAIR_NAME, 'rsa'],
        ['ec-key', 'ec'],
      ]);
      expect(found.every((keypair) => !('key_type' in keypair))).toBe(true);
      expect(harness.fake.ignoredInputs()).toEqual([
        { method: 'GET', path: '/api/v3/crypto/certificatekeypairs/', location: 'query', name: 'key_type', value: 'rsa' },
      ]);
    }
  });
});

describe('fake authentik keypair filter', () => {
  test('invalid key_type is 400 on 2026.8', async () => {
    const harness = await startFake({ version: '2026.8' });
    try {
      const response = await harness.call('GET', '/api/v3/crypto/certificatekeypairs/?key_type=rsa4096');

      expect(response.status).toBe(400);
      expect(response.body).toEqual({ key_type: ['Select a valid choice. rsa4096 is not one of the available choices.'] });
    } finally {
      await harness.stop();
    }
  });

  test('unknown query parameter is ignored', async () => {
    const harness = await startFake();
    try {
      harness.fake.addProvider({ name: 'espocrm-sales' });

      const response = await harness.call('GET', '/api/v3/providers/oauth2/?no_such_filter=1');

      expect(response.status).toBe(200);
      expect(results(response.body)).toHaveLength(1);
      expect(harness.fake.ignoredInputs().map((input) => input.name)).toEqual(['no_such_filter']);
    } finally {
      await harness.stop();
    }
  });
});

describe('fake authentik server controls', () => {
  test('setVersion switches the API', async () => {
    const harness = await startFake({ version: '2025.10' });
    try {
      harness.fake.setVersion('2026.8');

      const version = await harness.call('GET', '/api/v3/admin/version/');

      expect(asJson(version.body).version_current).toBe('2026.8.3');
      expect(harness.fake.version).toBe('2026.8');
    } finally {
      await harness.stop();
    }
  });

  test('injected fault precedes normal response', async () => {
    const harness = await startFake();
    try {
      harness.fake.server.injectFault({ method: 'GET', path: '/api/v3/admin/version/', sequence: [503] });

      const failed = await harness.call('GET', '/api/v3/admin/version/');
      const recovered = await harness.call('GET', '/api/v3/admin/version/');

      expect(failed.status).toBe(503);
      expect(recovered.status).toBe(200);
      expect(harness.fake.server.requestsTo('GET', '/api/v3/admin/version/').map((request) => request.status)).toEqual([
        503, 200,
      ]);
    } finally {
      await harness.stop();
    }
  });

  test('latency delays every response', async () => {
    const harness = await startFake({ latencyMs: 60 });
    try {
      const started = Date.now();
      await harness.call('GET', '/api/v3/admin/version/');

      expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    } finally {
      await harness.stop();
    }
  });
});
