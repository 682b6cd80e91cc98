import { inspect } from 'node:util';

import { Secret } from '../../src/config/secret';
import { EspoSsoError } from '../../src/errors';
import { EspoCrmClient, type EspoCrmClientOptions } from '../../src/espocrm';
import { type UpstreamCall } from '../../src/http/observer';
import { RateLimiter } from '../../src/http/rate-limiter';
import {
  base64,
  captureLogger,
  StubServer,
  validSettings,
  type StubHandler,
  type StubReply,
  type StubRequest,
} from './stub-server';

const USERNAME = 'sso-admin';
const PASSWORD = 'correct-horse-battery-staple';
const TOKEN = 'token-4f9c2a7be1d34c58a0b6';
const CLIENT_SECRET = 'client-secret-value-0123456789';

const ADMIN_USER = { id: 'user-1', userName: USERNAME, type: 'admin', name: 'SSO Admin' };

const SETTINGS_10 = {
  version: '10.0.0',
  siteUrl: 'https://crm.example.com',
  authenticationMethod: 'Espo',
  oidcFallback: true,
  oidcJwtSignatureAlgorithmList: ['RS256'],
  oidcScopes: ['profile', 'email', 'phone'],
  oidcUsernameClaim: 'sub',
  smtpServer: 'mail.example.com',
};

/** Returns a handler with the routes of a well-behaved EspoCRM, each replaceable per test. */
function espoHandler(overrides: Partial<Record<string, StubHandler>> = {}): StubHandler {
  return (request) => {
    const path = request.url.split('?')[0] ?? '';
    const key = `${request.method} ${path}`;
    const override = overrides[key];
    if (override) return override(request);
    switch (key) {
      case 'GET /api/v1/App/user':
        return { status: 200, body: { user: ADMIN_USER, token: TOKEN, acl: {}, preferences: {} } };
      case 'GET /api/v1/Settings':
        return { status: 200, body: SETTINGS_10 };
      case 'POST /api/v1/App/destroyAuthToken':
        return { status: 200, body: 'true' };
      default:
        return { status: 404, body: '' };
    }
  };
}

/** Returns a settings store that behaves like EspoCRM for a JSON PUT; `put` may return a reply instead. */
function storeHandler(version: string, put?: (request: StubRequest) => StubReply | undefined): StubHandler {
  let stored: Record<string, unknown> = { ...SETTINGS_10, version };
  return espoHandler({
    'GET /api/v1/Settings': () => ({ status: 200, body: stored }),
    'PUT /api/v1/Settings': (request) => {
      const reply = put?.(request);
      if (reply) return reply;
      const { oidcClientSecret: _secret, ...visible } = JSON.parse(request.body) as Record<string, unknown>;
      stored = { ...stored, ...visible };
      return { status: 200, body: stored };
    },
  });
}

function headerOf(request: StubRequest | undefined, name: string): string | undefined {
  const value = request?.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Checks that no secret appears in what a caller or operator can read: messages, hints, causes and log lines. */
function expectNoSecrets(texts: string[]): void {
  const forbidden = [PASSWORD, TOKEN, CLIENT_SECRET, base64(`${USERNAME}:${PASSWORD}`), base64(`${USERNAME}:${TOKEN}`)];
  for (const text of texts) {
    for (const secret of forbidden) expect(text).not.toContain(secret);
  }
}

function describeError(error: unknown): string[] {
  return [inspect(error, { depth: 10 }), JSON.stringify(error), error instanceof EspoSsoError ? error.describe() : ''];
}

async function caught(promise: Promise<unknown>): Promise<EspoSsoError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EspoSsoError) return error;
    throw error;
  }
  throw new Error('expected the call to throw');
}

describe('EspoCrmClient', () => {
  let server: StubServer;
  let calls: UpstreamCall[];
  let logLines: string[];

  function client(options: Partial<EspoCrmClientOptions> = {}): EspoCrmClient {
    const capture = captureLogger();
    logLines = capture.lines;
    return new EspoCrmClient({
      url: server.url,
      username: USERNAME,
      password: new Secret(PASSWORD),
      timeoutMs: 2000,
      correlationId: 'corr-123',
      observer: (call) => calls.push(call),
      logger: capture.logger,
      ...options,
    });
  }

  beforeEach(async () => {
    calls = [];
    logLines = [];
    server = await new StubServer(espoHandler()).start();
  });

  afterEach(async () => {
    await server.stop();
  });

  describe('signIn', () => {
    it('sends one password sign-in', async () => {
      const espo = client();
      const user = await espo.signIn();
      expect(user).toEqual({ id: 'user-1', userName: USERNAME, type: 'admin' });

      const [request] = server.requestsTo('GET', '/api/v1/App/user');
      expect(server.requests).toHaveLength(1);
      expect(headerOf(request, 'Espo-Authorization')).toBe(base64(`${USERNAME}:${PASSWORD}`));
      expect(headerOf(request, 'Espo-Authorization-By-Token')).toBeUndefined();
      expect(headerOf(request, 'X-Correlation-Id')).toBe('corr-123');
    });

    it('uses the token for later calls', async () => {
      const espo = client();
      await espo.signIn();
      await espo.getSettings();
      const [request] = server.requestsTo('GET', '/api/v1/Settings');
      expect(headerOf(request, 'Espo-Authorization')).toBe(base64(`${USERNAME}:${TOKEN}`));
      expect(headerOf(request, 'Espo-Authorization-By-Token')).toBe('true');
      expect(headerOf(request, 'X-Correlation-Id')).toBe('corr-123');
    });

    it('signs in once for parallel first calls', async () => {
      const espo = client();
      await Promise.all([espo.getSettings(), espo.getSettings(), espo.signIn(), espo.signIn()]);
      expect(server.requestsTo('GET', '/api/v1/App/user')).toHaveLength(1);
      expect(server.requestsTo('GET', '/api/v1/Settings')).toHaveLength(2);
    });

    it('maps a wrong password to unauthorized', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/App/user': () => ({ status: 401, body: '' }) }));
      const espo = client();
      const error = await caught(espo.signIn());
      expect(error.code).toBe('unauthorized');
      expect(error.status).toBe(401);
      expect(error.retryable).toBe(false);
      expect(error.system).toBe('espocrm');
      expect(error.message).toContain(USERNAME);
      expect(error.describe()).toContain('Check the password');
      expectNoSecrets(describeError(error));
    });

    it('never repeats a rejected sign-in', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/App/user': () => ({ status: 401, body: '' }) }));
      const espo = client();
      await caught(espo.signIn());
      expect((await caught(espo.getSettings())).code).toBe('unauthorized');
      expect((await caught(espo.listTeams())).code).toBe('unauthorized');
      expect((await caught(espo.signIn())).code).toBe('unauthorized');
      expect(server.requests).toHaveLength(1);
    });

    it('detects a second factor', async () => {
      server.setHandler(
        espoHandler({
          'GET /api/v1/App/user': () => ({
            status: 401,
            headers: { 'X-Status-Reason': 'second-step-required', 'Content-Type': 'text/html' },
            body: JSON.stringify({ status: 'secondStepRequired', message: 'enterTotpCode', view: 'login-second-step' }),
          }),
        }),
      );
      const espo = client();
      const error = await caught(espo.signIn());
      expect(error.code).toBe('second_factor_required');
      expect(error.retryable).toBe(false);
      expect(error.hint).toContain('without two-factor authentication');
      await caught(espo.getSettings());
      expect(server.requests).toHaveLength(1);
    });

    it('rejects a regular user and revokes its token', async () => {
      server.setHandler(
        espoHandler({
          'GET /api/v1/App/user': () => ({ status: 200, body: { user: { ...ADMIN_USER, type: 'regular' }, token: TOKEN } }),
        }),
      );
      const espo = client();
      const error = await caught(espo.signIn());
      expect(error.code).toBe('not_admin');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('regular');
      expect(error.hint).toContain('Administrator');
      expect(error.hint).toContain('API users');

      const [revoke] = server.requestsTo('POST', '/api/v1/App/destroyAuthToken');
      expect(JSON.parse(revoke?.body ?? '')).toEqual({ token: TOKEN });
      await caught(espo.getSettings());
      expect(server.requestsTo('GET', '/api/v1/App/user')).toHaveLength(1);
      expectNoSecrets([...describeError(error), ...logLines]);
    });

    it('accepts a super-admin', async () => {
      server.setHandler(
        espoHandler({
          'GET /api/v1/App/user': () => ({ status: 200, body: { user: { ...ADMIN_USER, type: 'super-admin' }, token: TOKEN } }),
        }),
      );
      expect((await client().signIn()).type).toBe('super-admin');
    });

    it('detects a lock-out', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/App/user': () => ({ status: 403, body: '' }) }));
      const espo = client();
      const error = await caught(espo.signIn());
      expect(error.code).toBe('locked_out');
      expect(error.status).toBe(403);
      expect(error.hint).toContain('about a minute');
      await caught(espo.getSettings());
      expect(server.requests).toHaveLength(1);
    });

    it('treats a 403 with a body as forbidden', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/App/user': () => ({ status: 403, body: { message: 'denied' } }) }));
      expect((await caught(client().signIn())).code).toBe('forbidden');
    });

    it('rejects a null token', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/App/user': () => ({ status: 200, body: { user: ADMIN_USER, token: null } }) }));
      const error = await caught(client().signIn());
      expect(error.code).toBe('invalid_response');
      expect(error.hint).toContain('Authorization: Basic');
    });

    it('rejects a user without a type', async () => {
      server.setHandler(
        espoHandler({ 'GET /api/v1/App/user': () => ({ status: 200, body: { user: { id: 'u', userName: USERNAME }, token: TOKEN } }) }),
      );
      const error = await caught(client().signIn());
      expect(error.code).toBe('invalid_response');
      expect(error.message).toContain('user.type');
      expectNoSecrets(describeError(error));
    });

    it('lets a later call sign in again after a 503', async () => {
      let attempts = 0;
      server.setHandler(
        espoHandler({
          'GET /api/v1/App/user': () => {
            attempts += 1;
            return attempts === 1 ? { status: 503, body: '' } : { status: 200, body: { user: ADMIN_USER, token: TOKEN } };
          },
        }),
      );
      const espo = client();
      const error = await caught(espo.signIn());
      expect(error.code).toBe('upstream_unavailable');
      expect(error.retryable).toBe(true);
      await espo.getSettings();
      expect(server.requestsTo('GET', '/api/v1/App/user')).toHaveLength(2);
    });

    it('explains a 500 on sign-in', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/App/user': () => ({ status: 500, body: '' }) }));
      const error = await caught(client().signIn());
      expect(error.code).toBe('upstream_unavailable');
      expect(error.hint).toContain('authenticationMethod');
    });
  });

  describe('transport', () => {
    it('maps 503 to a retryable error', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => ({ status: 503, body: '' }) }));
      const error = await caught(client().getSettings());
      expect(error.code).toBe('upstream_unavailable');
      expect(error.status).toBe(503);
      expect(error.retryable).toBe(true);
    });

    it('maps 429 to a retryable error', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => ({ status: 429, body: '' }) }));
      expect((await caught(client().getSettings())).retryable).toBe(true);
    });

    it('maps 404 to not_found', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => ({ status: 404, body: '' }) }));
      const error = await caught(client().getSettings());
      expect(error.code).toBe('not_found');
      expect(error.retryable).toBe(false);
    });

    it('maps an expired token to unauthorized without signing in again', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => ({ status: 401, body: '' }) }));
      const espo = client();
      const error = await caught(espo.getSettings());
      expect(error.code).toBe('unauthorized');
      expect(error.hint).toContain('expired');
      expect(server.requestsTo('GET', '/api/v1/App/user')).toHaveLength(1);
    });

    it('times out a hanging call as retryable', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => 'hang' }));
      const espo = client({ timeoutMs: 300 });
      const error = await caught(espo.getSettings());
      expect(error.code).toBe('timeout');
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('300 ms');
      expect(calls.at(-1)).toMatchObject({ route: '/api/v1/Settings', status: 0 });
      expectNoSecrets([...describeError(error), ...logLines]);
    });

    it('maps a reset to a retryable network error', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => 'reset' }));
      const error = await caught(client().getSettings());
      expect(error.code).toBe('network');
      expect(error.retryable).toBe(true);
      expectNoSecrets(describeError(error));
    });

    it('keeps the axios error out of the cause', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => 'reset' }));
      const error = await caught(client().getSettings());
      const cause = error.cause as Record<string, unknown>;
      expect(Object.keys(cause)).toEqual(['code']);
      expect(inspect(cause, { depth: 10 })).not.toContain('Espo-Authorization');
    });

    it('maps a refused connection to a retryable network error', async () => {
      const url = server.url;
      await server.stop();
      const error = await caught(client({ url }).getPublicSettings());
      expect(error.code).toBe('network');
      expect(error.retryable).toBe(true);
      server = await new StubServer(espoHandler()).start();
    });

    it('does not follow a redirect', async () => {
      server.setHandler(
        espoHandler({ 'GET /api/v1/App/user': () => ({ status: 301, headers: { Location: 'https://crm.example.com/api/v1/App/user?x=1' } }) }),
      );
      const error = await caught(client().signIn());
      expect(error.code).toBe('upstream_rejected');
      expect(error.message).toContain('https://crm.example.com');
      expect(error.message).not.toContain('x=1');
      expect(server.requests).toHaveLength(1);
    });

    it('rejects a body that is not JSON', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => ({ status: 200, body: '<html>login</html>' }) }));
      const error = await caught(client().getSettings());
      expect(error.code).toBe('invalid_response');
      expect(error.message).toContain('not JSON');
    });

    it('rejects settings of the wrong shape', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Settings': () => ({ status: 200, body: { version: '10.0.0', oidcScopes: 'x' } }) }));
      const error = await caught(client().getSettings());
      expect(error.code).toBe('invalid_response');
      expect(error.message).toContain('oidcScopes');
    });

    it('reports every call with a route template', async () => {
      const espo = client();
      await espo.getSettings();
      await espo.listTeams().catch(() => undefined);
      expect(calls.map((call) => `${call.method} ${call.route} ${call.status}`)).toEqual([
        'GET /api/v1/App/user 200',
        'GET /api/v1/Settings 200',
        'GET /api/v1/Team 404',
      ]);
      for (const call of calls) {
        expect(call.system).toBe('espocrm');
        expect(call.durationMs).toBeGreaterThanOrEqual(0);
      }
    });

    it('waits for the rate limiter before each call', async () => {
      const limiter = new RateLimiter(0);
      const acquire = jest.spyOn(limiter, 'acquire');
      const espo = client({ rateLimiter: limiter });
      await espo.getSettings();
      await espo.getPublicSettings();
      expect(acquire).toHaveBeenCalledTimes(3);
    });

    it('logs calls without secrets', async () => {
      server.setHandler(storeHandler('10.0.0'));
      const espo = client();
      await espo.writeSettings('10.0.0', validSettings());
      await espo.signOut();
      expect(logLines.length).toBeGreaterThan(0);
      expect(logLines.join('\n')).toContain('corr-123');
      expectNoSecrets(logLines);
    });
  });

  describe('getSettings', () => {
    it('returns typed settings with defaults', async () => {
      const settings = await client().getSettings();
      expect(settings.version).toBe('10.0.0');
      expect(settings.siteUrl).toBe('https://crm.example.com');
      expect(settings.oidcFallback).toBe(true);
      expect(settings.oidcCreateUser).toBe(false);
      expect(settings.oidcUserInfoEndpoint).toBeNull();
      expect(settings.oidcTeamsIds).toEqual([]);
      expect(settings).not.toHaveProperty('smtpServer');
    });
  });

  describe('public calls', () => {
    it('reads public settings without credentials', async () => {
      server.setHandler(
        espoHandler({
          'GET /api/v1/Settings': () => ({ status: 200, body: { siteUrl: 'https://crm.example.com', loginData: { method: 'Oidc', fallback: true } } }),
        }),
      );
      const settings = await client().getPublicSettings();
      expect(settings).toEqual({ siteUrl: 'https://crm.example.com', loginData: { method: 'Oidc', fallback: true } });
      expect(server.requests).toHaveLength(1);
      expect(headerOf(server.requests[0], 'Espo-Authorization')).toBeUndefined();
      expect(headerOf(server.requests[0], 'X-Correlation-Id')).toBe('corr-123');
    });

    it('returns undefined authorization data on 403', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/Oidc/authorizationData': () => ({ status: 403, body: '' }) }));
      expect(await client().getAuthorizationData()).toBeUndefined();
      expect(server.requestsTo('GET', '/api/v1/App/user')).toHaveLength(0);
    });

    it('returns authorization data while OIDC is on', async () => {
      const data = {
        clientId: 'espocrm-client-id',
        endpoint: 'https://auth.example.com/application/o/authorize/',
        redirectUri: 'https://crm.example.com/oauth-callback.php',
        scopes: ['openid', 'profile', 'email'],
        prompt: 'consent',
      };
      server.setHandler(espoHandler({ 'GET /api/v1/Oidc/authorizationData': () => ({ status: 200, body: data }) }));
      const { prompt: _prompt, ...expected } = data;
      expect(await client().getAuthorizationData()).toEqual(expected);
      expect(headerOf(server.requests[0], 'Espo-Authorization')).toBeUndefined();
    });
  });

  describe('listTeams', () => {
    function teamsHandler(count: number, total: (count: number) => number): StubHandler {
      const all = Array.from({ length: count }, (_, index) => ({ id: `team-${index}`, name: `Team ${index}` }));
      return espoHandler({
        'GET /api/v1/Team': (request) => {
          const query = new URL(request.url, 'http://127.0.0.1').searchParams;
          const offset = Number(query.get('offset'));
          const maxSize = Number(query.get('maxSize'));
          return { status: 200, body: { total: total(count), list: all.slice(offset, offset + maxSize) } };
        },
      });
    }

    it('pages until total', async () => {
      server.setHandler(teamsHandler(450, (count) => count));
      const teams = await client().listTeams();
      expect(teams).toHaveLength(450);
      expect(teams[449]).toEqual({ id: 'team-449', name: 'Team 449' });

      const pages = server.requestsTo('GET', '/api/v1/Team').map((request) => new URL(request.url, 'http://127.0.0.1').searchParams);
      expect(pages.map((query) => query.get('offset'))).toEqual(['0', '200', '400']);
      for (const query of pages) {
        expect(query.get('select')).toBe('id,name');
        expect(query.get('maxSize')).toBe('200');
      }
    });

    it('stops after one page when total fits', async () => {
      server.setHandler(teamsHandler(3, (count) => count));
      expect(await client().listTeams()).toHaveLength(3);
      expect(server.requestsTo('GET', '/api/v1/Team')).toHaveLength(1);
    });

    it('pages to a short page when total is unknown', async () => {
      server.setHandler(teamsHandler(200, () => -1));
      expect(await client().listTeams()).toHaveLength(200);
      expect(server.requestsTo('GET', '/api/v1/Team')).toHaveLength(2);
    });

    it('stops on an empty page before total', async () => {
      server.setHandler(teamsHandler(5, () => 10));
      expect(await client().listTeams()).toHaveLength(5);
      expect(server.requestsTo('GET', '/api/v1/Team')).toHaveLength(2);
    });
  });

  describe('writeSettings', () => {
    it('sends one exact body on 10.0 and returns the stored settings', async () => {
      server.setHandler(storeHandler('10.0.0'));
      const espo = client();
      const settings = await espo.writeSettings('10.0.0', validSettings());

      const [put] = server.requestsTo('PUT', '/api/v1/Settings');
      expect(server.requestsTo('PUT', '/api/v1/Settings')).toHaveLength(1);
      expect(headerOf(put, 'Content-Type')).toBe('application/json');
      expect(headerOf(put, 'Espo-Authorization-By-Token')).toBe('true');
      const body = JSON.parse(put?.body ?? '') as Record<string, unknown>;
      expect(body.oidcClientSecret).toBe(CLIENT_SECRET);
      expect(body.oidcUserInfoEndpoint).toBe('https://auth.example.com/application/o/userinfo/');
      expect(Object.keys(body)).toHaveLength(21);

      expect(settings.authenticationMethod).toBe('Oidc');
      expect(settings.oidcTeamsColumns).toEqual({ 'team-sales': { group: 'crm-sales' } });
      // The PUT answer carries the stored settings, so no second read is needed.
      expect(server.requestsTo('GET', '/api/v1/Settings')).toHaveLength(0);
    });

    it('reads back when the PUT answer has no settings', async () => {
      let stored: Record<string, unknown> = { ...SETTINGS_10, version: '10.0.0' };
      server.setHandler(
        espoHandler({
          'GET /api/v1/Settings': () => ({ status: 200, body: stored }),
          'PUT /api/v1/Settings': (request) => {
            const { oidcClientSecret: _secret, ...visible } = JSON.parse(request.body) as Record<string, unknown>;
            stored = { ...stored, ...visible };
            return { status: 200, body: '' };
          },
        }),
      );
      const settings = await client().writeSettings('10.0.0', validSettings());

      expect(server.requestsTo('GET', '/api/v1/Settings')).toHaveLength(1);
      expect(settings.version).toBe('10.0.0');
    });

    it('sends no userinfo on 8.4', async () => {
      server.setHandler(storeHandler('8.4.2'));
      const settings = await client().writeSettings('8.4.2', validSettings());
      const [put] = server.requestsTo('PUT', '/api/v1/Settings');
      const body = JSON.parse(put?.body ?? '') as Record<string, unknown>;
      expect(Object.keys(body)).not.toContain('oidcUserInfoEndpoint');
      expect(Object.keys(body)).toHaveLength(20);
      expect(settings.oidcUserInfoEndpoint).toBeUndefined();
    });

    it('leaves the secret out when none is given', async () => {
      server.setHandler(storeHandler('10.0.0'));
      await client().writeSettings('10.0.0', validSettings({ oidcClientSecret: undefined }));
      const [put] = server.requestsTo('PUT', '/api/v1/Settings');
      expect(put?.body).not.toContain('oidcClientSecret');
    });

    it('rejects a dot-less host before any request', async () => {
      const espo = client();
      const error = await caught(
        espo.writeSettings('10.0.0', validSettings({ oidcTokenEndpoint: 'http://localhost:9000/application/o/token/' })),
      );
      expect(error.code).toBe('plan_invalid');
      expect(error.message).toContain('oidcTokenEndpoint');
      expect(server.requests).toHaveLength(0);
    });

    it('parses a validation failure body', async () => {
      server.setHandler(
        storeHandler('10.0.0', () => ({
          status: 400,
          headers: { 'X-Status-Reason': 'Field validation failure; entityType: Settings, field: other, type: other.' },
          body: { messageTranslation: { label: 'validationFailure', scope: null, data: { field: 'oidcJwksEndpoint', type: 'valid' } } },
        })),
      );
      const error = await caught(client().writeSettings('10.0.0', validSettings()));
      expect(error.code).toBe('upstream_rejected');
      expect(error.status).toBe(400);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('oidcJwksEndpoint');
      expect(error.message).toContain('"valid"');
      expect(error.message).not.toContain('other');
      expectNoSecrets(describeError(error));
    });

    it('maps a 400 without a validation body', async () => {
      server.setHandler(storeHandler('10.0.0', () => ({ status: 400, body: '' })));
      const error = await caught(client().writeSettings('10.0.0', validSettings()));
      expect(error.code).toBe('upstream_rejected');
      expect(error.status).toBe(400);
    });

    it('maps 403 to forbidden', async () => {
      server.setHandler(storeHandler('10.0.0', () => ({ status: 403, headers: { 'X-Status-Reason': '' }, body: '' })));
      const error = await caught(client().writeSettings('10.0.0', validSettings()));
      expect(error.code).toBe('forbidden');
      expect(error.retryable).toBe(false);
    });

    it('fails when the read-back differs', async () => {
      // EspoCRM ignores the body and still returns 200, e.g. without Content-Type: application/json.
      server.setHandler(storeHandler('10.0.0', () => ({ status: 200, body: SETTINGS_10 })));
      const error = await caught(client().writeSettings('10.0.0', validSettings()));
      expect(error.code).toBe('verify_failed');
      expect(error.message).toContain('authenticationMethod');
      expectNoSecrets(describeError(error));
    });
  });

  describe('signOut', () => {
    it('revokes the token by token', async () => {
      const espo = client();
      await espo.signIn();
      await espo.signOut();
      const [request] = server.requestsTo('POST', '/api/v1/App/destroyAuthToken');
      expect(JSON.parse(request?.body ?? '')).toEqual({ token: TOKEN });
      expect(headerOf(request, 'Espo-Authorization-By-Token')).toBe('true');
      expect(headerOf(request, 'Content-Type')).toBe('application/json');
    });

    it('sends nothing before a sign-in', async () => {
      await client().signOut();
      expect(server.requests).toHaveLength(0);
    });

    it('never throws and logs a failure', async () => {
      server.setHandler(espoHandler({ 'POST /api/v1/App/destroyAuthToken': () => ({ status: 500, body: '' }) }));
      const espo = client();
      await espo.signIn();
      await expect(espo.signOut()).resolves.toBeUndefined();
      expect(logLines.some((line) => line.includes('revocation failed'))).toBe(true);
      expectNoSecrets(logLines);
    });

    it('never throws after a failed sign-in', async () => {
      server.setHandler(espoHandler({ 'GET /api/v1/App/user': () => ({ status: 401, body: '' }) }));
      const espo = client();
      await caught(espo.signIn());
      await expect(espo.signOut()).resolves.toBeUndefined();
      expect(server.requests).toHaveLength(1);
    });

    it('refuses authenticated calls afterwards', async () => {
      const espo = client();
      await espo.signIn();
      await espo.signOut();
      expect((await caught(espo.getSettings())).code).toBe('internal');
      expect(server.requestsTo('GET', '/api/v1/App/user')).toHaveLength(1);
    });
  });
});
