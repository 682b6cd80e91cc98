import { type EspoMode, FakeEspoCrm } from '../../../sandbox/espocrm';

import { call, signIn, withToken } from './espo-client';

const MODES: [EspoMode, string][] = [
  ['8.4', '8.4.2'],
  ['10.0', '10.0.0'],
];

describe.each(MODES)('GET /api/v1/Settings on EspoCRM %s', (mode, version) => {
  let fake: FakeEspoCrm;

  beforeEach(async () => {
    fake = new FakeEspoCrm({ mode });
    await fake.start();
    fake.addUser({ userName: 'admin', password: 'admin-pass', type: 'admin' });
    fake.addUser({ userName: 'clerk', password: 'clerk-pass', type: 'regular' });
    fake.setSettings({ oidcClientId: 'espo', oidcClientSecret: 's3cret' });
  });

  afterEach(async () => {
    await fake.stop();
  });

  test('fresh instance has the install defaults', () => {
    const expected: Record<string, unknown> = {
      version,
      useCache: true,
      language: 'en_US',
      applicationName: 'EspoCRM',
      authenticationMethod: 'Espo',
      auth2FA: false,
      auth2FAMethodList: ['Totp'],
      oidcJwtSignatureAlgorithmList: ['RS256'],
      oidcScopes: ['profile', 'email', 'phone'],
      oidcUsernameClaim: 'sub',
      oidcFallback: true,
      oidcAuthorizationPrompt: 'consent',
      oidcJwksCachePeriod: '10 minutes',
      siteUrl: fake.url,
      oidcClientId: 'espo',
      oidcClientSecret: 's3cret',
    };
    if (mode === '10.0') expected.oidcAuthorizationPkce = true;

    expect(fake.settings).toEqual(expected);
  });

  test('admin sees admin settings without the secret', async () => {
    const token = await signIn(fake, 'admin', 'admin-pass');

    const response = await call(fake, 'GET', '/Settings', withToken('admin', token));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ version, authenticationMethod: 'Espo', oidcClientId: 'espo' });
    expect(response.body).not.toHaveProperty('oidcClientSecret');
    expect(response.body).not.toHaveProperty('loginData');
  });

  test('regular user sees no OIDC admin fields', async () => {
    const token = await signIn(fake, 'clerk', 'clerk-pass');

    const response = await call(fake, 'GET', '/Settings', withToken('clerk', token));
    const keys = Object.keys(response.body as object);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ version, siteUrl: fake.url });
    expect(keys).not.toContain('authenticationMethod');
    expect(keys).not.toContain('oidcClientId');
    expect(keys).not.toContain('oidcFallback');
    expect(keys).not.toContain('oidcClientSecret');
  });

  test('anonymous caller sees only global items', async () => {
    const response = await call(fake, 'GET', '/Settings');

    expect(response.body).toEqual({
      useCache: true,
      language: 'en_US',
      applicationName: 'EspoCRM',
      siteUrl: fake.url,
    });
  });

  test('anonymous caller sees loginData while Oidc', async () => {
    fake.setSettings({ authenticationMethod: 'Oidc', oidcFallback: false });

    const response = await call(fake, 'GET', '/Settings');

    expect(response.body).toEqual({
      useCache: true,
      language: 'en_US',
      applicationName: 'EspoCRM',
      siteUrl: fake.url,
      loginData: { handler: 'handlers/login/oidc', fallback: false, method: 'Oidc', data: {} },
    });
  });

  test('failed credentials read as anonymous', async () => {
    const response = await call(fake, 'GET', '/Settings', { auth: ['admin', 'wrong'] });

    expect(response.status).toBe(200);
    expect(response.body).not.toHaveProperty('version');
    expect(fake.lockOuts).toHaveLength(1);
  });
});

describe('GET /api/v1/Settings version differences', () => {
  test('8.4 shows unknown OIDC keys to regular users', async () => {
    const fake = new FakeEspoCrm({ mode: '8.4' });
    await fake.start();
    try {
      fake.addUser({ userName: 'clerk', password: 'clerk-pass', type: 'regular' });
      fake.setSettings({ oidcUserInfoEndpoint: 'https://auth.example.com/userinfo/' });
      const token = await signIn(fake, 'clerk', 'clerk-pass');

      const response = await call(fake, 'GET', '/Settings', withToken('clerk', token));

      expect(response.body).toHaveProperty('oidcUserInfoEndpoint', 'https://auth.example.com/userinfo/');
    } finally {
      await fake.stop();
    }
  });

  test('10.0 hides the userinfo endpoint from regular users', async () => {
    const fake = new FakeEspoCrm({ mode: '10.0' });
    await fake.start();
    try {
      fake.addUser({ userName: 'clerk', password: 'clerk-pass', type: 'regular' });
      fake.setSettings({ oidcUserInfoEndpoint: 'https://auth.example.com/userinfo/' });
      const token = await signIn(fake, 'clerk', 'clerk-pass');

      const response = await call(fake, 'GET', '/Settings', withToken('clerk', token));

      expect(response.body).not.toHaveProperty('oidcUserInfoEndpoint');
    } finally {
      await fake.stop();
    }
  });
});
