import { type EspoMode, FakeEspoCrm } from '../../../sandbox/espocrm';

import { call, signIn, withToken } from './espo-client';

const MODES: EspoMode[] = ['8.4', '10.0'];

describe.each(MODES)('PUT /api/v1/Settings on EspoCRM %s', (mode) => {
  let fake: FakeEspoCrm;
  let adminToken: string;
  let admin: ReturnType<typeof withToken>;

  beforeEach(async () => {
    fake = new FakeEspoCrm({ mode, siteUrl: 'https://crm.example.com' });
    await fake.start();
    fake.addUser({ userName: 'admin', password: 'admin-pass', type: 'admin' });
    fake.addUser({ userName: 'clerk', password: 'clerk-pass', type: 'regular' });
    adminToken = await signIn(fake, 'admin', 'admin-pass');
    admin = withToken('admin', adminToken);
  });

  afterEach(async () => {
    await fake.stop();
  });

  test('regular user gets 403 and nothing changes', async () => {
    const before = fake.settings;
    const clerkToken = await signIn(fake, 'clerk', 'clerk-pass');

    const response = await call(fake, 'PUT', '/Settings', {
      ...withToken('clerk', clerkToken),
      json: { authenticationMethod: 'Oidc', oidcClientId: 'espo' },
    });

    expect(response.status).toBe(403);
    expect(response.text).toBe('');
    expect(response.headers.get('x-status-reason')).toBe('');
    expect(fake.settings).toEqual(before);
  });

  test('API user gets 403', async () => {
    const apiUser = fake.addUser({ userName: 'robot', type: 'api' });

    const response = await call(fake, 'PUT', '/Settings', {
      headers: { 'X-Api-Key': apiUser.apiKey ?? '' },
      json: { oidcClientId: 'espo' },
    });

    expect(response.status).toBe(403);
    expect(fake.settings.oidcClientId).toBeUndefined();
  });

  test('admin write stores exactly the sent keys', async () => {
    const before = fake.settings;
    const body = {
      oidcClientId: 'espo',
      oidcAuthorizationEndpoint: 'https://auth.example.com/application/o/authorize/',
      oidcTokenEndpoint: 'https://auth.example.com/application/o/token/',
      oidcJwksEndpoint: 'https://auth.example.com/application/o/espo/jwks/',
      oidcScopes: ['profile', 'email', 'groups'],
      oidcAllowAdminUser: true,
    };

    const response = await call(fake, 'PUT', '/Settings', { ...admin, json: body });

    expect(response.status).toBe(200);
    expect(fake.settings).toEqual({ ...before, ...body });
    expect(fake.unknownKeysWritten()).toEqual([]);
  });

  test('response equals the admin GET view', async () => {
    const put = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcClientId: 'espo' } });
    const get = await call(fake, 'GET', '/Settings', admin);

    expect(put.status).toBe(200);
    expect(put.headers.get('content-type')).toBe('application/json');
    expect(put.body).toEqual(get.body);
  });

  test('client secret is write-only', async () => {
    const put = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcClientSecret: 's3cret' } });
    const get = await call(fake, 'GET', '/Settings', admin);

    expect(put.status).toBe(200);
    expect(fake.settings.oidcClientSecret).toBe('s3cret');
    expect(put.text).not.toContain('s3cret');
    expect(get.text).not.toContain('s3cret');
    expect(get.body).not.toHaveProperty('oidcClientSecret');
  });

  test('body without JSON content type is ignored', async () => {
    const before = fake.settings;

    const missing = await call(fake, 'PUT', '/Settings', {
      ...admin,
      rawBody: JSON.stringify({ oidcClientId: 'espo' }),
      contentType: null,
    });
    const textPlain = await call(fake, 'PUT', '/Settings', {
      ...admin,
      rawBody: JSON.stringify({ oidcClientId: 'espo' }),
      contentType: 'text/plain',
    });

    expect(missing.status).toBe(200);
    expect(textPlain.status).toBe(200);
    expect(fake.settings).toEqual(before);
  });

  test('content type with charset is read', async () => {
    const response = await call(fake, 'PUT', '/Settings', {
      ...admin,
      json: { oidcClientId: 'espo' },
      contentType: 'application/json; charset=utf-8',
    });

    expect(response.status).toBe(200);
    expect(fake.settings.oidcClientId).toBe('espo');
  });

  test('dot-less url host is rejected and nothing stored', async () => {
    const before = fake.settings;

    const response = await call(fake, 'PUT', '/Settings', {
      ...admin,
      json: {
        oidcClientId: 'espo',
        oidcAuthorizationEndpoint: 'https://auth.example.com/application/o/authorize/',
        oidcTokenEndpoint: 'http://authentik:9000/application/o/token/',
      },
    });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      messageTranslation: {
        label: 'validationFailure',
        scope: null,
        data: { field: 'oidcTokenEndpoint', type: 'valid' },
      },
    });
    expect(response.headers.get('x-status-reason')).toBe(
      'Field validation failure; entityType: Settings, field: oidcTokenEndpoint, type: valid.',
    );
    expect(fake.settings).toEqual(before);
  });

  test.each([
    ['http://localhost:9000/application/o/authorize/', false],
    ['http://authentik:9000/application/o/authorize/', false],
    ['', false],
    ['http://127.0.0.1:9000/application/o/authorize/', true],
    ['auth.example.com/application/o/authorize/', true],
    ['ftp://auth.example.com/x', true],
    ['https://auth.example.com/a?x=1&y=~2', true],
    ['https://auth example.com/x', false],
  ])('url value %j passes: %s', async (value, passes) => {
    const response = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcAuthorizationEndpoint: value } });

    expect(response.status).toBe(passes ? 200 : 400);
    expect(fake.settings.oidcAuthorizationEndpoint).toBe(passes ? value : undefined);
  });

  test('null clears a url field', async () => {
    fake.setSettings({ oidcJwksEndpoint: 'https://auth.example.com/jwks/' });

    const response = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcJwksEndpoint: null } });

    expect(response.status).toBe(200);
    expect(fake.settings).toHaveProperty('oidcJwksEndpoint', null);
  });

  test('values over 255 characters fail maxLength', async () => {
    const longUrl = `https://auth.example.com/${'a'.repeat(231)}`;
    expect(longUrl).toHaveLength(256);

    const url = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcTokenEndpoint: longUrl } });
    const varchar = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcClientId: 'x'.repeat(256) } });
    const password = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcClientSecret: 'x'.repeat(256) } });
    const fits = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcClientId: 'x'.repeat(255) } });

    expect(url.body).toMatchObject({ messageTranslation: { data: { field: 'oidcTokenEndpoint', type: 'maxLength' } } });
    expect(varchar.body).toMatchObject({ messageTranslation: { data: { field: 'oidcClientId', type: 'maxLength' } } });
    expect(password.body).toMatchObject({
      messageTranslation: { data: { field: 'oidcClientSecret', type: 'maxLength' } },
    });
    expect(fits.status).toBe(200);
  });

  test('signature algorithms limited to RS and HS', async () => {
    const ec = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcJwtSignatureAlgorithmList: ['ES256'] } });
    const empty = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcJwtSignatureAlgorithmList: [] } });

    expect(ec.status).toBe(400);
    expect(ec.body).toMatchObject({
      messageTranslation: { data: { field: 'oidcJwtSignatureAlgorithmList', type: 'valid' } },
    });
    expect(empty.status).toBe(200);
    expect(fake.settings.oidcJwtSignatureAlgorithmList).toEqual([]);
  });

  test('multiEnum must be a list of strings', async () => {
    const text = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcScopes: 'profile email' } });
    const numbers = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcScopes: ['profile', 1] } });
    const blank = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcScopes: ['profile', ''] } });

    expect(text.body).toMatchObject({ messageTranslation: { data: { field: 'oidcScopes', type: 'array' } } });
    expect(numbers.body).toMatchObject({
      messageTranslation: { data: { field: 'oidcScopes', type: 'arrayOfString' } },
    });
    expect(blank.body).toMatchObject({ messageTranslation: { data: { field: 'oidcScopes', type: 'noEmptyString' } } });
    expect(fake.settings.oidcScopes).toEqual(['profile', 'email', 'phone']);
  });

  test('prompt enum is checked', async () => {
    const wrong = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcAuthorizationPrompt: 'Login' } });
    const right = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcAuthorizationPrompt: 'login' } });

    expect(wrong.body).toMatchObject({
      messageTranslation: { data: { field: 'oidcAuthorizationPrompt', type: 'valid' } },
    });
    expect(right.status).toBe(200);
    expect(fake.settings.oidcAuthorizationPrompt).toBe('login');
  });

  test('first failing field in definition order is reported', async () => {
    const response = await call(fake, 'PUT', '/Settings', {
      ...admin,
      json: { oidcJwksEndpoint: 'http://authentik/jwks/', oidcAuthorizationEndpoint: 'http://authentik/authorize/' },
    });

    expect(response.body).toMatchObject({
      messageTranslation: { data: { field: 'oidcAuthorizationEndpoint', type: 'valid' } },
    });
  });

  test('string "false" is stored as is', async () => {
    const response = await call(fake, 'PUT', '/Settings', {
      ...admin,
      json: { oidcFallback: 'false', oidcCreateUser: 0 },
    });

    expect(response.status).toBe(200);
    expect(fake.settings.oidcFallback).toBe('false');
    expect(fake.settings.oidcCreateUser).toBe(0);
  });

  test('authenticationMethod value is not checked', async () => {
    const response = await call(fake, 'PUT', '/Settings', { ...admin, json: { authenticationMethod: 'oidc' } });

    expect(response.status).toBe(200);
    expect(fake.settings.authenticationMethod).toBe('oidc');
  });

  test('team attributes stored in any shape', async () => {
    const response = await call(fake, 'PUT', '/Settings', {
      ...admin,
      json: { oidcTeamsIds: 'not-a-list', oidcTeamsColumns: [1, 2], oidcTeamsNames: 'x' },
    });

    expect(response.status).toBe(200);
    expect(fake.settings).toMatchObject({ oidcTeamsIds: 'not-a-list', oidcTeamsColumns: [1, 2], oidcTeamsNames: 'x' });
  });

  test('team ids in a list must be record ids', async () => {
    const response = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcTeamsIds: ['team one'] } });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ messageTranslation: { data: { field: 'oidcTeams', type: 'pattern' } } });
  });

  test('unknown keys are stored and flagged', async () => {
    const response = await call(fake, 'PUT', '/Settings', {
      ...admin,
      json: { oidcSecret: 'leak', oidcClientId: 'espo' },
    });

    expect(response.status).toBe(200);
    expect(fake.settings.oidcSecret).toBe('leak');
    expect(fake.unknownKeysWritten()).toEqual(['oidcSecret']);
  });

  test('unknown keys readable by every signed-in user', async () => {
    const apiUser = fake.addUser({ userName: 'robot', type: 'api' });
    await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcSecret: 'leak' } });
    const clerkToken = await signIn(fake, 'clerk', 'clerk-pass');

    const clerk = await call(fake, 'GET', '/Settings', withToken('clerk', clerkToken));
    const robot = await call(fake, 'GET', '/Settings', { headers: { 'X-Api-Key': apiUser.apiKey ?? '' } });
    const anonymous = await call(fake, 'GET', '/Settings');

    expect(clerk.body).toHaveProperty('oidcSecret', 'leak');
    expect(robot.body).toHaveProperty('oidcSecret', 'leak');
    expect(anonymous.body).not.toHaveProperty('oidcSecret');
  });

  test('JSON array body is stored as list', async () => {
    const response = await call(fake, 'PUT', '/Settings', { ...admin, json: [{ oidcClientId: 'espo' }] });

    expect(response.status).toBe(200);
    expect(fake.settings.list).toEqual([{ oidcClientId: 'espo' }]);
    expect(fake.settings.oidcClientId).toBeUndefined();
    expect(fake.unknownKeysWritten()).toEqual(['list']);
  });

  test('invalid JSON gives 500', async () => {
    const before = fake.settings;

    const response = await call(fake, 'PUT', '/Settings', { ...admin, rawBody: '{"oidcClientId": ' });

    expect(response.status).toBe(500);
    expect(fake.settings).toEqual(before);
  });

  test('JSON scalar body gives 400', async () => {
    const response = await call(fake, 'PUT', '/Settings', { ...admin, rawBody: '"Oidc"' });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-status-reason')).toBe('Body is not a JSON object.');
  });

  test('array in a url field gives 500', async () => {
    const response = await call(fake, 'PUT', '/Settings', { ...admin, json: { oidcTokenEndpoint: ['https://a.b/'] } });

    expect(response.status).toBe(500);
    expect(fake.settings.oidcTokenEndpoint).toBeUndefined();
  });

  test('system parameters are dropped silently', async () => {
    const response = await call(fake, 'PUT', '/Settings', { ...admin, json: { cryptKey: 'x', oidcClientId: 'espo' } });

    expect(response.status).toBe(200);
    expect(fake.settings.cryptKey).toBeUndefined();
    expect(fake.settings.oidcClientId).toBe('espo');
    expect(fake.unknownKeysWritten()).toEqual([]);
  });

  test('PATCH returns 404 and stores nothing', async () => {
    const before = fake.settings;

    const response = await call(fake, 'PATCH', '/Settings', { ...admin, json: { oidcClientId: 'espo' } });

    expect(response.status).toBe(404);
    expect(fake.settings).toEqual(before);
  });

  test('POST returns 404, DELETE 405', async () => {
    const post = await call(fake, 'POST', '/Settings', { ...admin, json: { oidcClientId: 'espo' } });
    const remove = await call(fake, 'DELETE', '/Settings', admin);

    expect(post.status).toBe(404);
    expect(remove.status).toBe(405);
    expect(fake.settings.oidcClientId).toBeUndefined();
  });

  test('PUT without sign-in gets 401', async () => {
    const response = await call(fake, 'PUT', '/Settings', { json: { oidcClientId: 'espo' } });

    expect(response.status).toBe(401);
    expect(fake.settings.oidcClientId).toBeUndefined();
  });
});

describe('PUT /api/v1/Settings version differences', () => {
  test('userinfo endpoint is unknown on 8.4', async () => {
    const fake = new FakeEspoCrm({ mode: '8.4' });
    await fake.start();
    try {
      fake.addUser({ userName: 'admin', password: 'admin-pass', type: 'admin' });
      const token = await signIn(fake, 'admin', 'admin-pass');

      // A dot-less host passes because 8.4 does not validate the key.
      const response = await call(fake, 'PUT', '/Settings', {
        ...withToken('admin', token),
        json: { oidcUserInfoEndpoint: 'http://authentik:9000/application/o/userinfo/' },
      });

      expect(response.status).toBe(200);
      expect(fake.settings.oidcUserInfoEndpoint).toBe('http://authentik:9000/application/o/userinfo/');
      expect(fake.unknownKeysWritten()).toEqual(['oidcUserInfoEndpoint']);
    } finally {
      await fake.stop();
    }
  });

  test('userinfo endpoint is validated on 10.0', async () => {
    const fake = new FakeEspoCrm({ mode: '10.0' });
    await fake.start();
    try {
      fake.addUser({ userName: 'admin', password: 'admin-pass', type: 'admin' });
      const token = await signIn(fake, 'admin', 'admin-pass');

      const rejected = await call(fake, 'PUT', '/Settings', {
        ...withToken('admin', token),
        json: { oidcUserInfoEndpoint: 'http://authentik:9000/application/o/userinfo/' },
      });
      const accepted = await call(fake, 'PUT', '/Settings', {
        ...withToken('admin', token),
        json: { oidcUserInfoEndpoint: 'https://auth.example.com/application/o/userinfo/' },
      });

      expect(rejected.status).toBe(400);
      expect(accepted.status).toBe(200);
      expect(fake.unknownKeysWritten()).toEqual([]);
    } finally {
      await fake.stop();
    }
  });

  test('PKCE flag is unknown on 8.4', async () => {
    const fake = new FakeEspoCrm({ mode: '8.4' });
    await fake.start();
    try {
      fake.addUser({ userName: 'admin', password: 'admin-pass', type: 'admin' });
      const token = await signIn(fake, 'admin', 'admin-pass');

      const response = await call(fake, 'PUT', '/Settings', {
        ...withToken('admin', token),
        json: { oidcAuthorizationPkce: true, oidcAuthorizationPrompt: 'login' },
      });

      expect(response.status).toBe(200);
      expect(fake.unknownKeysWritten()).toEqual(['oidcAuthorizationPkce']);
    } finally {
      await fake.stop();
    }
  });
});
