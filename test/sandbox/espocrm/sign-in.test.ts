import { AUTH_TOKEN_MAX_IDLE_MS, type EspoMode, FakeEspoCrm } from '../../../sandbox/espocrm';

import { call, signIn, TestClock, withToken } from './espo-client';

const MODES: EspoMode[] = ['8.4', '10.0'];

describe.each(MODES)('sign-in on EspoCRM %s', (mode) => {
  let clock: TestClock;
  let fake: FakeEspoCrm;

  beforeEach(async () => {
    clock = new TestClock();
    fake = new FakeEspoCrm({ mode, now: clock.now });
    await fake.start();
    fake.addUser({ userName: 'admin', password: 'admin-pass', type: 'admin' });
    fake.addUser({ userName: 'clerk', password: 'clerk-pass', type: 'regular' });
  });

  afterEach(async () => {
    await fake.stop();
  });

  test('each password sign-in makes a new token', async () => {
    const first = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });
    const second = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });
    const firstToken = (first.body as { token: string }).token;
    const secondToken = (second.body as { token: string }).token;

    expect(first.status).toBe(200);
    expect(firstToken).toMatch(/^[0-9a-f]{32}$/);
    expect(secondToken).not.toBe(firstToken);
    expect(fake.authTokens).toHaveLength(2);
    expect(first.body).toMatchObject({ user: { userName: 'admin', type: 'admin', isAdmin: true } });
  });

  test('token sign-in returns the same token', async () => {
    const token = await signIn(fake, 'admin', 'admin-pass');

    const byToken = await call(fake, 'GET', '/App/user', withToken('admin', token));
    const withoutHeader = await call(fake, 'GET', '/App/user', { auth: ['admin', token] });

    expect(byToken.status).toBe(200);
    expect(byToken.body).toMatchObject({ token });
    expect(withoutHeader.body).toMatchObject({ token });
    expect(fake.authTokens).toHaveLength(1);
  });

  test('token of another user is rejected', async () => {
    const token = await signIn(fake, 'admin', 'admin-pass');

    const response = await call(fake, 'GET', '/App/user', withToken('clerk', token));

    expect(response.status).toBe(401);
  });

  test('Basic auth works with token null', async () => {
    const response = await call(fake, 'GET', '/App/user', { basic: ['admin', 'admin-pass'] });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token: null, user: { userName: 'admin' } });
    expect(fake.authTokens).toHaveLength(0);
  });

  test('wrong password: empty 401 without reason', async () => {
    const response = await call(fake, 'GET', '/App/user', { auth: ['admin', 'wrong'] });

    expect(response.status).toBe(401);
    expect(response.text).toBe('');
    expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(response.headers.get('x-status-reason')).toBeNull();
  });

  test('user name matches without regard to case', async () => {
    const response = await call(fake, 'GET', '/App/user', { auth: ['ADMIN', 'admin-pass'] });

    expect(response.status).toBe(200);
  });

  test('no credentials: 401 with Basic challenge', async () => {
    const response = await call(fake, 'GET', '/App/user');

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm=""');
  });

  test('malformed Espo-Authorization gives 400', async () => {
    const response = await call(fake, 'GET', '/App/user', {
      headers: { 'Espo-Authorization': Buffer.from('no-colon').toString('base64') },
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-status-reason')).toBe('Auth: Bad authorization string provided.');
  });

  test('API users sign in only with their key', async () => {
    const robot = fake.addUser({ userName: 'robot', password: 'robot-pass', type: 'api' });

    const byKey = await call(fake, 'GET', '/App/user', { headers: { 'X-Api-Key': robot.apiKey ?? '' } });
    const byPassword = await call(fake, 'GET', '/App/user', { auth: ['robot', 'robot-pass'] });

    expect(byKey.status).toBe(200);
    expect(byKey.body).toMatchObject({ token: null, user: { type: 'api', isAdmin: false } });
    expect(byPassword.status).toBe(401);
  });

  test('revoked token stops working', async () => {
    const token = await signIn(fake, 'admin', 'admin-pass');
    const other = await signIn(fake, 'admin', 'admin-pass');

    const revoke = await call(fake, 'POST', '/App/destroyAuthToken', { ...withToken('admin', other), json: { token } });
    const after = await call(fake, 'GET', '/App/user', withToken('admin', token));
    const unknown = await call(fake, 'POST', '/App/destroyAuthToken', {
      ...withToken('admin', other),
      json: { token: 'f'.repeat(32) },
    });
    const missing = await call(fake, 'POST', '/App/destroyAuthToken', { ...withToken('admin', other), json: {} });

    expect(revoke.status).toBe(200);
    expect(revoke.text).toBe('true');
    expect(after.status).toBe(401);
    expect(unknown.text).toBe('false');
    expect(missing.status).toBe(400);
  });

  test('token expires after 48 idle hours', async () => {
    const token = await signIn(fake, 'admin', 'admin-pass');

    clock.advance(AUTH_TOKEN_MAX_IDLE_MS - 1000);
    const stillValid = await call(fake, 'GET', '/App/user', withToken('admin', token));
    clock.advance(AUTH_TOKEN_MAX_IDLE_MS + 1000);
    const expired = await call(fake, 'GET', '/App/user', withToken('admin', token));

    expect(stillValid.status).toBe(200);
    expect(expired.status).toBe(401);
  });

  describe('two-factor', () => {
    beforeEach(() => {
      fake.addUser({ userName: 'guarded', password: 'guarded-pass', type: 'admin', twoFactor: true });
    });

    test('password sign-in asks for the second step', async () => {
      const response = await call(fake, 'GET', '/App/user', { auth: ['guarded', 'guarded-pass'] });

      expect(response.status).toBe(401);
      expect(response.headers.get('x-status-reason')).toBe('second-step-required');
      expect(response.headers.get('content-type')).toBe('text/html; charset=UTF-8');
      expect(response.body).toEqual({
        status: 'secondStepRequired',
        message: 'enterTotpCode',
        view: null,
        token: null,
        data: null,
      });
    });

    test('right code passes, wrong code fails', async () => {
      const right = await call(fake, 'GET', '/App/user', {
        auth: ['guarded', 'guarded-pass'],
        headers: { 'Espo-Authorization-Code': fake.totpCode('guarded') },
      });
      const wrongCode = fake.totpCode('guarded') === '000000' ? '111111' : '000000';
      const wrong = await call(fake, 'GET', '/App/user', {
        auth: ['guarded', 'guarded-pass'],
        headers: { 'Espo-Authorization-Code': wrongCode },
      });

      expect(right.status).toBe(200);
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('x-status-reason')).toBeNull();
    });

    test('token sign-in skips the second step', async () => {
      const first = await call(fake, 'GET', '/App/user', {
        auth: ['guarded', 'guarded-pass'],
        headers: { 'Espo-Authorization-Code': fake.totpCode('guarded') },
      });
      const token = (first.body as { token: string }).token;

      const response = await call(fake, 'GET', '/App/user', withToken('guarded', token));

      expect(response.status).toBe(200);
    });

    test('adding a 2FA user switches 2FA on', () => {
      expect(fake.settings.auth2FA).toBe(true);
      expect(fake.settings.auth2FAMethodList).toEqual(['Totp']);
    });
  });

  describe('lock-out', () => {
    async function failSignIns(count: number): Promise<void> {
      for (let attempt = 0; attempt < count; attempt++) {
        const response = await call(fake, 'GET', '/App/user', { auth: ['admin', 'wrong'] });
        expect(response.status).toBe(401);
      }
    }

    test('more than 10 failures lock the address', async () => {
      await failSignIns(10);
      // With exactly 10 denials on record, EspoCRM still tries the credentials.
      const eleventh = await call(fake, 'GET', '/App/user', { auth: ['admin', 'wrong'] });
      const valid = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });

      expect(eleventh.status).toBe(401);
      expect(valid.status).toBe(403);
      expect(valid.text).toBe('');
      expect(valid.headers.get('x-status-reason')).toBeNull();
      expect(fake.lockOuts).toEqual([
        { address: '127.0.0.1', deniedAttempts: 11, lockedOut: true, lockedUntil: clock.time + 60_000 },
      ]);
    });

    test('ten failures do not lock yet', async () => {
      await failSignIns(10);

      const valid = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });

      expect(valid.status).toBe(200);
    });

    test('token needs By-Token to pass a lock-out', async () => {
      const token = await signIn(fake, 'admin', 'admin-pass');
      await failSignIns(11);

      const withoutByToken = await call(fake, 'GET', '/App/user', { auth: ['admin', token] });
      const withByToken = await call(fake, 'GET', '/App/user', withToken('admin', token));
      const settingsWithoutByToken = await call(fake, 'GET', '/Settings', { auth: ['admin', token] });

      expect(withoutByToken.status).toBe(403);
      expect(withByToken.status).toBe(200);
      expect(settingsWithoutByToken.status).toBe(403);
    });

    test('requests without credentials are not locked', async () => {
      await failSignIns(11);

      const anonymous = await call(fake, 'GET', '/Settings');

      expect(anonymous.status).toBe(200);
    });

    test('lock-out ends when failures age out', async () => {
      await failSignIns(11);

      clock.advance(59_999);
      const during = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });
      clock.advance(1);
      const after = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });

      expect(during.status).toBe(403);
      expect(after.status).toBe(200);
      expect(fake.lockOuts).toEqual([]);
    });

    test('unknown By-Token tokens do not count', async () => {
      for (let attempt = 0; attempt < 12; attempt++) {
        await call(fake, 'GET', '/App/user', withToken('admin', 'f'.repeat(32)));
      }

      const valid = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });

      expect(valid.status).toBe(200);
      expect(fake.lockOuts).toEqual([]);
    });
  });

  describe('authenticationMethod Oidc', () => {
    let adminToken: string;
    let clerkToken: string;

    beforeEach(async () => {
      adminToken = await signIn(fake, 'admin', 'admin-pass');
      clerkToken = await signIn(fake, 'clerk', 'clerk-pass');
      const response = await call(fake, 'PUT', '/Settings', {
        ...withToken('admin', adminToken),
        json: { authenticationMethod: 'Oidc' },
      });
      expect(response.status).toBe(200);
    });

    test('default fallback lets only admins in', async () => {
      const adminAnswer = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });
      const clerkAnswer = await call(fake, 'GET', '/App/user', { auth: ['clerk', 'clerk-pass'] });

      expect(adminAnswer.status).toBe(200);
      expect(clerkAnswer.status).toBe(401);
      expect(fake.passwordSignIn('admin', 'admin-pass')).toEqual({ passes: true, outcome: 'success' });
      expect(fake.passwordSignIn('clerk', 'clerk-pass')).toEqual({ passes: false, outcome: 'method-not-allowed' });
    });

    test('regular fallback flag lets regular users in', async () => {
      fake.setSettings({ oidcAllowRegularUserFallback: true });

      const clerkAnswer = await call(fake, 'GET', '/App/user', { auth: ['clerk', 'clerk-pass'] });

      expect(clerkAnswer.status).toBe(200);
      expect(fake.passwordSignIn('clerk', 'clerk-pass').passes).toBe(true);
    });

    test('fallback off rejects every password', async () => {
      fake.setSettings({ oidcFallback: false, oidcAllowRegularUserFallback: true });

      const adminAnswer = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });

      expect(adminAnswer.status).toBe(401);
      expect(fake.passwordSignIn('admin', 'admin-pass')).toEqual({ passes: false, outcome: 'method-not-allowed' });
      expect(fake.passwordSignIn('clerk', 'clerk-pass').passes).toBe(false);
    });

    test('string "false" fallback acts as true', async () => {
      fake.setSettings({ oidcFallback: 'false' });

      expect(fake.passwordSignIn('admin', 'admin-pass').passes).toBe(true);
    });

    test('tokens from before the switch keep working', async () => {
      fake.setSettings({ oidcFallback: false });

      const adminAnswer = await call(fake, 'GET', '/App/user', withToken('admin', adminToken));
      const clerkAnswer = await call(fake, 'GET', '/App/user', withToken('clerk', clerkToken));

      expect(adminAnswer.status).toBe(200);
      expect(clerkAnswer.status).toBe(200);
    });

    test('loginData reports the fallback', async () => {
      const response = await call(fake, 'GET', '/Settings');

      expect(response.body).toMatchObject({
        loginData: { handler: 'handlers/login/oidc', fallback: true, method: 'Oidc', data: {} },
      });
    });
  });

  describe('invalid authenticationMethod', () => {
    test('lower-case oidc breaks every sign-in', async () => {
      const token = await signIn(fake, 'admin', 'admin-pass');
      const put = await call(fake, 'PUT', '/Settings', {
        ...withToken('admin', token),
        json: { authenticationMethod: 'oidc' },
      });
      expect(put.status).toBe(200);

      const password = await call(fake, 'GET', '/App/user', { auth: ['admin', 'admin-pass'] });
      const byToken = await call(fake, 'GET', '/App/user', withToken('admin', token));
      const wrongPassword = await call(fake, 'GET', '/App/user', { auth: ['admin', 'wrong'] });
      const undo = await call(fake, 'PUT', '/Settings', {
        ...withToken('admin', token),
        json: { authenticationMethod: 'Espo' },
      });

      expect(password.status).toBe(500);
      expect(byToken.status).toBe(500);
      expect(wrongPassword.status).toBe(500);
      expect(undo.status).toBe(500);
      expect(fake.settings.authenticationMethod).toBe('oidc');
      expect(fake.passwordSignIn('admin', 'admin-pass')).toEqual({ passes: false, outcome: 'server-error' });
    });

    test('anonymous Settings read still works', async () => {
      fake.setSettings({ authenticationMethod: 'oidc' });

      const response = await call(fake, 'GET', '/Settings');

      expect(response.status).toBe(200);
      expect(response.body).not.toHaveProperty('loginData');
    });
  });
});
