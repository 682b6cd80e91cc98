import { type EspoMode, FakeEspoCrm } from '../../../sandbox/espocrm';

import { call, signIn, withToken } from './espo-client';

const MODES: EspoMode[] = ['8.4', '10.0'];

describe.each(MODES)('teams on EspoCRM %s', (mode) => {
  let fake: FakeEspoCrm;
  let admin: ReturnType<typeof withToken>;

  beforeEach(async () => {
    fake = new FakeEspoCrm({ mode });
    await fake.start();
    fake.addUser({ userName: 'admin', password: 'admin-pass', type: 'admin' });
    admin = withToken('admin', await signIn(fake, 'admin', 'admin-pass'));
  });

  afterEach(async () => {
    await fake.stop();
  });

  test('team ids look like EspoCRM ids', () => {
    const id = fake.addTeam('Sales');

    expect(id).toMatch(/^[0-9a-f]{17}$/);
    expect(fake.teams).toEqual([{ id, name: 'Sales' }]);
  });

  test('listing pages through teams by name', async () => {
    const names = Array.from({ length: 45 }, (_, index) => `Team ${String(index).padStart(2, '0')}`);
    for (const name of [...names].reverse()) fake.addTeam(name);

    const pages: string[] = [];
    let total = -1;
    for (let offset = 0; offset < 45; offset += 20) {
      const response = await call(fake, 'GET', `/Team?select=id,name&maxSize=20&offset=${offset}`, admin);
      const body = response.body as { total: number; list: { id: string; name: string }[] };
      expect(response.status).toBe(200);
      for (const item of body.list) expect(Object.keys(item).sort()).toEqual(['id', 'name']);
      total = body.total;
      pages.push(...body.list.map((item) => item.name));
    }

    expect(total).toBe(45);
    expect(pages).toEqual(names);
  });

  test('page sizes: default 200, above 200 rejected', async () => {
    for (let index = 0; index < 205; index++) fake.addTeam(`Team ${index}`);

    const defaultPage = await call(fake, 'GET', '/Team?select=id,name', admin);
    const tooLarge = await call(fake, 'GET', '/Team?select=id,name&maxSize=201', admin);
    const lastPage = await call(fake, 'GET', '/Team?select=id,name&maxSize=200&offset=200', admin);

    expect((defaultPage.body as { list: unknown[] }).list).toHaveLength(200);
    expect(tooLarge.status).toBe(403);
    expect(tooLarge.headers.get('x-status-reason')).toBe('Max size should not exceed 200. Use offset and limit.');
    expect(lastPage.body).toMatchObject({ total: 205 });
    expect((lastPage.body as { list: unknown[] }).list).toHaveLength(5);
  });

  test('listing needs a sign-in', async () => {
    const response = await call(fake, 'GET', '/Team?select=id,name');

    expect(response.status).toBe(401);
  });

  test('creating a team returns 200', async () => {
    const response = await call(fake, 'POST', '/Team', { ...admin, json: { name: ' Support ' } });
    const body = response.body as { id: string; name: string };

    expect(response.status).toBe(200);
    expect(body.name).toBe('Support');
    expect(fake.teams).toEqual([{ id: body.id, name: 'Support' }]);
  });

  test('team names may repeat', async () => {
    await call(fake, 'POST', '/Team', { ...admin, json: { name: 'Sales' } });
    const second = await call(fake, 'POST', '/Team', { ...admin, json: { name: 'Sales' } });

    expect(second.status).toBe(200);
    expect(fake.teams.map((team) => team.name)).toEqual(['Sales', 'Sales']);
  });

  test('team without name fails validation', async () => {
    const response = await call(fake, 'POST', '/Team', { ...admin, json: {} });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      messageTranslation: { label: 'validationFailure', scope: null, data: { field: 'name', type: 'required' } },
    });
    expect(fake.teams).toEqual([]);
  });
});

describe.each(MODES)('GET /api/v1/Oidc/authorizationData on EspoCRM %s', (mode) => {
  let fake: FakeEspoCrm;

  beforeEach(async () => {
    fake = new FakeEspoCrm({ mode, siteUrl: 'https://crm.example.com/' });
    await fake.start();
  });

  afterEach(async () => {
    await fake.stop();
  });

  test('returns 403 while method is not Oidc', async () => {
    const response = await call(fake, 'GET', '/Oidc/authorizationData');

    expect(response.status).toBe(403);
    expect(response.text).toBe('');
  });

  test('returns what the login page uses', async () => {
    fake.setSettings({
      authenticationMethod: 'Oidc',
      oidcClientId: 'espo',
      oidcAuthorizationEndpoint: 'https://auth.example.com/application/o/authorize/',
      oidcScopes: ['profile', 'email'],
      oidcGroupClaim: 'groups',
    });

    const response = await call(fake, 'GET', '/Oidc/authorizationData');
    const body = response.body as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body).toMatchObject({
      clientId: 'espo',
      endpoint: 'https://auth.example.com/application/o/authorize/',
      redirectUri: 'https://crm.example.com/oauth-callback.php',
      scopes: ['openid', 'profile', 'email'],
      claims: '{"id_token":{"groups":{"essential":true}}}',
      prompt: 'consent',
      maxAge: null,
    });
    if (mode === '10.0') {
      expect(body.codeChallenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body.codeChallengeMethod).toBe('S256');
    } else {
      expect(body).not.toHaveProperty('codeChallenge');
    }
  });

  test('missing client id gives 500', async () => {
    fake.setSettings({ authenticationMethod: 'Oidc', oidcAuthorizationEndpoint: 'https://auth.example.com/a/' });

    const response = await call(fake, 'GET', '/Oidc/authorizationData');

    expect(response.status).toBe(500);
    expect(response.headers.get('x-status-reason')).toBe('No client ID.');
  });
});

describe('fake EspoCRM server', () => {
  test('listens on 127.0.0.1 only', async () => {
    const fake = new FakeEspoCrm();
    const url = await fake.start();
    try {
      expect(new URL(url).hostname).toBe('127.0.0.1');
      expect(fake.settings.siteUrl).toBe(url);
    } finally {
      await fake.stop();
    }
  });
});
