import {
  AUTHENTIK_VERSIONS,
  CLIENT_ID_LENGTH,
  CLIENT_SECRET_LENGTH,
  type OAuth2ProviderRecord,
  schemaViolations,
  UNKNOWN_FIELD_MESSAGE,
  VERSION_CURRENT,
} from '../../../sandbox/authentik';
import { asJson, type Harness, providerBody, results, startFake } from './helpers';

describe.each(AUTHENTIK_VERSIONS)('fake authentik %s: providers', (version) => {
  let harness: Harness;
  const hasGrantTypes = version === '2026.8';

  beforeEach(async () => {
    harness = await startFake({ version });
  });

  afterEach(async () => {
    await harness.stop();
  });

  /** The record a valid body must produce: authentik's defaults overlaid with the body. */
  function expectedRecord(body: Record<string, unknown>, created: OAuth2ProviderRecord): OAuth2ProviderRecord {
    const expected: OAuth2ProviderRecord = {
      pk: 1,
      name: String(body.name),
      authentication_flow: null,
      authorization_flow: String(body.authorization_flow),
      invalidation_flow: String(body.invalidation_flow),
      property_mappings: [],
      client_type: 'confidential',
      client_id: created.client_id,
      client_secret: created.client_secret,
      access_code_validity: 'minutes=1',
      access_token_validity: 'hours=1',
      refresh_token_validity: 'days=30',
      refresh_token_threshold: 'seconds=0',
      include_claims_in_id_token: true,
      signing_key: null,
      encryption_key: null,
      redirect_uris: [],
      logout_uri: '',
      logout_method: 'backchannel',
      sub_mode: 'hashed_user_id',
      issuer_mode: 'per_provider',
      jwt_federation_sources: [],
      jwt_federation_providers: [],
    };
    if (hasGrantTypes) expected.grant_types = [];
    return { ...expected, ...(body as Partial<OAuth2ProviderRecord>) };
  }

  test('version endpoint reports the mode', async () => {
    const response = await harness.call('GET', '/api/v3/admin/version/');

    expect(response.status).toBe(200);
    expect(asJson(response.body).version_current).toBe(VERSION_CURRENT[version]);
    expect(schemaViolations('Version', response.body)).toEqual([]);
  });

  test('POST without invalidation_flow is rejected', async () => {
    const body = providerBody(harness.fake);
    delete body.invalidation_flow;

    const response = await harness.call('POST', '/api/v3/providers/oauth2/', body);

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ invalidation_flow: ['This field is required.'] });
    expect(harness.fake.providers()).toEqual([]);
  });

  test('redirect_uris without matching_mode are rejected', async () => {
    const body = providerBody(harness.fake, {
      redirect_uris: [
        { matching_mode: 'strict', url: 'https://crm.example.com/a' },
        { url: 'https://crm.example.com/oauth-callback.php' },
      ],
    });

    const response = await harness.call('POST', '/api/v3/providers/oauth2/', body);

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ redirect_uris: [{}, { matching_mode: ['This field is required.'] }] });
    expect(harness.fake.providers()).toEqual([]);
  });

  test('redirect_uris as a newline string are rejected', async () => {
    const body = providerBody(harness.fake, { redirect_uris: 'https://crm.example.com/oauth-callback.php' });

    const response = await harness.call('POST', '/api/v3/providers/oauth2/', body);

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ redirect_uris: ['Expected a list of items but got type "str".'] });
  });

  test('valid body is stored exactly', async () => {
    const mappings = harness.fake.scopeMappings().slice(0, 3).map((mapping) => mapping.pk);
    const signingKey = harness.fake.keypairs()[0].pk;
    const body = providerBody(harness.fake, {
      client_type: 'confidential',
      sub_mode: 'user_username',
      signing_key: signingKey,
      property_mappings: mappings,
      include_claims_in_id_token: false,
    });

    const response = await harness.call('POST', '/api/v3/providers/oauth2/', body);

    expect(response.status).toBe(201);
    const stored = harness.fake.providers();
    expect(stored).toHaveLength(1);
    const expected = expectedRecord(body, stored[0]);
    if (version === '2026.8') {
      expected.redirect_uris = [
        { matching_mode: 'strict', url: 'https://crm.example.com/oauth-callback.php', redirect_uri_type: 'authorization' },
      ];
    }
    expect(stored[0]).toEqual(expected);

    const created = asJson(response.body);
    expect(schemaViolations('OAuth2Provider', created)).toEqual([]);
    expect(created.pk).toBe(1);
    expect(created.client_secret).toBe(stored[0].client_secret);
    expect(created.assigned_application_slug).toBeNull();
    expect(created.assigned_application_name).toBeNull();
    expect('grant_types' in created).toBe(hasGrantTypes);
  });

  test('omitted credentials are generated', async () => {
    const response = await harness.call('POST', '/api/v3/providers/oauth2/', providerBody(harness.fake));

    expect(response.status).toBe(201);
    const [stored] = harness.fake.providers();
    expect(stored.client_id).toMatch(new RegExp(`^[a-zA-Z0-9]{${CLIENT_ID_LENGTH}}$`));
    expect(stored.client_secret).toMatch(new RegExp(`^[a-zA-Z0-9]{${CLIENT_SECRET_LENGTH}}$`));
    expect(CLIENT_ID_LENGTH).toBe(40);
    expect(CLIENT_SECRET_LENGTH).toBe(128);
    expect(asJson(response.body).client_id).toBe(stored.client_id);
  });

  test('sent and blank client secrets are stored', async () => {
    const secret = 'S'.repeat(100);
    const first = await harness.call('POST', '/api/v3/providers/oauth2/', providerBody(harness.fake, { client_secret: secret }));
    const second = await harness.call(
      'POST',
      '/api/v3/providers/oauth2/',
      providerBody(harness.fake, { name: 'blank-secret', client_secret: '' }),
    );

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    const stored = harness.fake.providers();
    expect(stored[0].client_secret).toBe(secret);
    expect(stored[1].client_secret).toBe('');
  });

  test('grant_types follow the version', async () => {
    const withGrants = providerBody(harness.fake, { grant_types: ['authorization_code', 'refresh_token'] });
    const withoutGrants = providerBody(harness.fake, { name: 'no-grants' });

    expect((await harness.call('POST', '/api/v3/providers/oauth2/', withGrants)).status).toBe(201);
    expect((await harness.call('POST', '/api/v3/providers/oauth2/', withoutGrants)).status).toBe(201);

    const [first, second] = harness.fake.providers();
    const ignored = harness.fake.ignoredInputs();
    if (hasGrantTypes) {
      expect(first.grant_types).toEqual(['authorization_code', 'refresh_token']);
      expect(second.grant_types).toEqual([]);
      expect(ignored).toEqual([]);
    } else {
      expect('grant_types' in first).toBe(false);
      expect('grant_types' in second).toBe(false);
      expect(ignored).toEqual([
        {
          method: 'POST',
          path: '/api/v3/providers/oauth2/',
          location: 'body',
          name: 'grant_types',
          value: ['authorization_code', 'refresh_token'],
        },
      ]);
    }
  });

  test('redirect_uri_type follows the version', async () => {
    const body = providerBody(harness.fake, {
      redirect_uris: [
        { matching_mode: 'strict', url: 'https://crm.example.com/oauth-callback.php', redirect_uri_type: 'authorization' },
        { matching_mode: 'strict', url: 'https://crm.example.com/', redirect_uri_type: 'logout' },
      ],
    });

    expect((await harness.call('POST', '/api/v3/providers/oauth2/', body)).status).toBe(201);

    const [stored] = harness.fake.providers();
    if (version === '2026.8') {
      expect(stored.redirect_uris).toEqual(body.redirect_uris);
    } else {
      expect(stored.redirect_uris).toEqual([
        { matching_mode: 'strict', url: 'https://crm.example.com/oauth-callback.php' },
        { matching_mode: 'strict', url: 'https://crm.example.com/' },
      ]);
      expect(harness.fake.ignoredInputs().map((input) => input.name)).toEqual([
        'redirect_uris[0].redirect_uri_type',
        'redirect_uris[1].redirect_uri_type',
      ]);
    }
  });

  test('duplicate name is rejected', async () => {
    expect((await harness.call('POST', '/api/v3/providers/oauth2/', providerBody(harness.fake))).status).toBe(201);

    const response = await harness.call('POST', '/api/v3/providers/oauth2/', providerBody(harness.fake));

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ name: ['Provider with this name already exists.'] });
    expect(harness.fake.providers()).toHaveLength(1);
  });

  test('unknown keys and references are rejected', async () => {
    const body = providerBody(harness.fake, {
      redirect_uri: 'https://crm.example.com/',
      signing_key: '00000000-0000-4000-8000-000000000000',
      client_type: 'secret',
    });

    const response = await harness.call('POST', '/api/v3/providers/oauth2/', body);

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      redirect_uri: [UNKNOWN_FIELD_MESSAGE],
      client_type: ['"secret" is not a valid choice.'],
      signing_key: ['Invalid pk "00000000-0000-4000-8000-000000000000" - object does not exist.'],
    });
    expect(harness.fake.providers()).toEqual([]);
  });

  test('nullable fields accept null', async () => {
    const body = providerBody(harness.fake, { signing_key: null, authentication_flow: null, encryption_key: null });

    const response = await harness.call('POST', '/api/v3/providers/oauth2/', body);

    expect(response.status).toBe(201);
    expect(harness.fake.providers()[0].signing_key).toBeNull();
  });

  test('list filters by name', async () => {
    harness.fake.addProvider({ name: 'orphan' });
    harness.fake.addProvider({ name: 'other' });

    const response = await harness.call('GET', '/api/v3/providers/oauth2/?name=orphan');

    expect(response.status).toBe(200);
    const found = results(response.body);
    expect(found).toHaveLength(1);
    expect(found[0].name).toBe('orphan');
    expect(found[0].assigned_application_slug).toBeNull();
    expect(schemaViolations('PaginatedOAuth2ProviderList', response.body)).toEqual([]);
  });

  test('PATCH rotates the secret', async () => {
    const seeded = harness.fake.addProvider({ name: 'rotate-me' });
    const secret = 'R'.repeat(128);

    const response = await harness.call('PATCH', `/api/v3/providers/oauth2/${seeded.pk}/`, { client_secret: secret });

    expect(response.status).toBe(200);
    expect(harness.fake.providers()).toEqual([{ ...seeded, client_secret: secret }]);
  });

  test('PUT needs the whole body', async () => {
    const seeded = harness.fake.addProvider({ name: 'put-me' });

    const response = await harness.call('PUT', `/api/v3/providers/oauth2/${seeded.pk}/`, { name: 'renamed' });

    expect(response.status).toBe(400);
    expect(Object.keys(asJson(response.body)).sort()).toEqual(['authorization_flow', 'invalidation_flow', 'redirect_uris']);
    expect(harness.fake.providers()).toEqual([seeded]);
  });

  test('unknown pk is 404', async () => {
    const response = await harness.call('PATCH', '/api/v3/providers/oauth2/999/', { name: 'x' });

    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: 'No OAuth2Provider matches the given query.' });
  });

  test('DELETE answers 204 and unlinks application', async () => {
    const provider = harness.fake.addProvider({ name: 'delete-me' });
    harness.fake.addApplication({ name: 'CRM', slug: 'crm', provider: provider.pk });

    const response = await harness.call('DELETE', `/api/v3/providers/oauth2/${provider.pk}/`);

    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
    expect(harness.fake.providers()).toEqual([]);
    expect(harness.fake.applications()[0].provider).toBeNull();
  });
});
