import { ConfigError, type Env, parseConfig, loadConfig } from '../../src/config';

const ENV: Env = { AUTHENTIK_TOKEN: 'ak-token-value-0123456789', ESPO_ACME_PASSWORD: 'espo-password-value-42' };

function baseConfig(): Record<string, unknown> {
  return {
    authentik: {
      url: 'https://authentik.example.com',
      tokenEnv: 'AUTHENTIK_TOKEN',
    },
    access: { requesters: ['U01REQUEST'], approvers: ['U02APPROVE'] },
    instances: [
      {
        name: 'acme',
        url: 'https://crm.acme.example',
        username: 'sso-bot',
        passwordEnv: 'ESPO_ACME_PASSWORD',
        application: { slug: 'espocrm-acme', name: 'EspoCRM (acme)' },
      },
    ],
  };
}

/** Returns the ConfigError that parsing `raw` throws, failing the test when nothing is thrown. */
function configError(raw: unknown, env: Env = ENV, readFile?: (path: string) => string): ConfigError {
  try {
    parseConfig(raw, env, { source: 'test.yml', readFile });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function withInstance(patch: Record<string, unknown>): Record<string, unknown> {
  const config = baseConfig();
  const instances = config.instances as Record<string, unknown>[];
  instances[0] = { ...instances[0], ...patch };
  return config;
}

function withAuthentik(patch: Record<string, unknown>): Record<string, unknown> {
  const config = baseConfig();
  config.authentik = { ...(config.authentik as Record<string, unknown>), ...patch };
  return config;
}

describe('parseConfig', () => {
  test('minimal file gets documented defaults', () => {
    const config = parseConfig(baseConfig(), ENV);
    expect(config.authentik.apiUrl).toBe('https://authentik.example.com');
    expect(config.authentik.authorizationFlow).toBe('default-provider-authorization-explicit-consent');
    expect(config.authentik.invalidationFlow).toBe('default-provider-invalidation-flow');
    expect(config.authentik.subjectMode).toBe('user_username');
    expect(config.authentik.scopes).toEqual(['openid', 'email', 'profile']);
    expect(config.access.allowSelfApproval).toBe(false);
    expect(config.access.approvalTtlMinutes).toBe(1440);
    expect(config.instances[0]?.options).toEqual({
      fallbackLogin: true,
      allowAdminOidcLogin: false,
      allowRegularUserFallback: false,
      createUsers: true,
      syncUserData: false,
      teams: {},
      syncTeams: false,
      scopes: ['profile', 'email'],
    });
    expect(config.env.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.env.queuePrefix).toBe('espo-sso');
    expect(config.env.port).toBe(3000);
    expect(config.env.logLevel).toBe('info');
    expect(config.slack.apiUrl).toBeUndefined();
  });

  test('secrets resolve but never serialise', () => {
    const config = parseConfig(baseConfig(), ENV);
    expect(config.authentik.token.reveal()).toBe(ENV.AUTHENTIK_TOKEN);
    expect(config.instances[0]?.password.reveal()).toBe(ENV.ESPO_ACME_PASSWORD);
    const json = JSON.stringify(config);
    expect(json).not.toContain(ENV.AUTHENTIK_TOKEN);
    expect(json).not.toContain(ENV.ESPO_ACME_PASSWORD);
    expect(String(config.authentik.token)).toBe('[redacted]');
  });

  test('trailing slashes are removed from URLs', () => {
    const config = parseConfig(withInstance({ url: 'https://crm.acme.example/' }), ENV);
    expect(config.instances[0]?.url).toBe('https://crm.acme.example');
  });

  test('unknown key is named', () => {
    const error = configError(withAuthentik({ tokenEnvv: 'X' }));
    expect(error.message).toContain('authentik.tokenEnvv is not a known key');
  });

  test('secret written into the file is rejected and masked', () => {
    const error = configError(withInstance({ password: 'hunter2-plain-text' }));
    expect(error.message).toContain('instances[0].password is not a known key, and secrets are never written in this file');
    expect(error.message).not.toContain('hunter2-plain-text');
    expect(error.message).toContain('***(18 chars)');
  });

  test('missing environment secret names the variable', () => {
    const error = configError(baseConfig(), { AUTHENTIK_TOKEN: 'x'.repeat(20) });
    expect(error.message).toContain(
      'instances[0].passwordEnv names the environment variable ESPO_ACME_PASSWORD, which is not set',
    );
  });

  test('missing token file names the path', () => {
    const raw = withAuthentik({ tokenEnv: undefined, tokenFile: '/run/secrets/authentik-token' });
    const error = configError(raw, ENV, () => {
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    });
    expect(error.message).toContain('authentik.tokenFile names a file that does not exist');
    expect(error.message).toContain('/run/secrets/authentik-token');
  });

  test('token file is read and trimmed', () => {
    const raw = withAuthentik({ tokenEnv: undefined, tokenFile: '/run/secrets/authentik-token' });
    const config = parseConfig(raw, ENV, { readFile: () => 'file-token-value\n' });
    expect(config.authentik.token.reveal()).toBe('file-token-value');
    expect(config.authentik.tokenSource).toEqual({ kind: 'file', path: '/run/secrets/authentik-token' });
  });

  test('neither tokenEnv nor tokenFile is an error', () => {
    const error = configError(withAuthentik({ tokenEnv: undefined }));
    expect(error.message).toContain('authentik.tokenEnv is missing (and so is authentik.tokenFile)');
  });

  test('both passwordEnv and passwordFile is an error', () => {
    const error = configError(withInstance({ passwordFile: '/run/secrets/acme' }));
    expect(error.message).toContain('instances[0].passwordEnv and instances[0].passwordFile are both set');
  });

  test('duplicate instance names are rejected', () => {
    const config = baseConfig();
    const instances = config.instances as Record<string, unknown>[];
    instances.push({ ...instances[0], application: { slug: 'espocrm-other', name: 'Other' } });
    const error = configError(config);
    expect(error.message).toContain('instances[1].name repeats the instance name of instances[0]');
  });

  test('duplicate slugs are rejected', () => {
    const config = baseConfig();
    const instances = config.instances as Record<string, unknown>[];
    instances.push({ ...instances[0], name: 'other', application: { slug: 'espocrm-acme', name: 'Other' } });
    const error = configError(config);
    expect(error.message).toContain('instances[1].application.slug repeats the application slug of instances[0]');
  });

  test('uppercase slug is rejected', () => {
    const error = configError(withInstance({ application: { slug: 'EspoCRM', name: 'x' } }));
    expect(error.message).toContain('instances[0].application.slug is not a valid authentik slug (value: "EspoCRM")');
  });

  test.each(['authorize', 'token', 'device', 'userinfo', 'introspect', 'revoke'])('reserved slug %s is rejected', (slug) => {
    const error = configError(withInstance({ application: { slug, name: 'x' } }));
    expect(error.message).toContain(`instances[0].application.slug is reserved by authentik for its own OAuth2 endpoints (value: "${slug}")`);
  });

  test('non-http URL is rejected', () => {
    const error = configError(withInstance({ url: 'ftp://crm.acme.example' }));
    expect(error.message).toContain('instances[0].url uses the scheme ftp (value: "ftp://crm.acme.example")');
  });

  test('plain http to a remote host needs allowHttp', () => {
    const error = configError(withAuthentik({ apiUrl: 'http://authentik-server:9000' }));
    expect(error.message).toContain('authentik.apiUrl uses plain http for a host that is not a loopback address');
    expect(error.message).toContain('set authentik.allowHttp: true');
    const config = parseConfig(withAuthentik({ apiUrl: 'http://authentik-server:9000', allowHttp: true }), ENV);
    expect(config.authentik.apiUrl).toBe('http://authentik-server:9000');
  });

  test('plain http to loopback is accepted', () => {
    const config = parseConfig(withInstance({ url: 'http://127.0.0.1:8080' }), ENV);
    expect(config.instances[0]?.url).toBe('http://127.0.0.1:8080');
    expect(parseConfig(withAuthentik({ url: 'http://localhost:9000' }), ENV).authentik.url).toBe('http://localhost:9000');
  });

  test('URL with credentials is rejected and masked', () => {
    const error = configError(withInstance({ url: 'https://admin:pa55word@crm.acme.example' }));
    expect(error.message).toContain('instances[0].url contains credentials');
    expect(error.message).not.toContain('pa55word');
  });

  test('instance name must work as a command argument', () => {
    const error = configError(withInstance({ name: 'Acme Corp' }));
    expect(error.message).toContain('instances[0].name cannot be typed as a Slack command argument (value: "Acme Corp")');
  });

  test('wrong type names key and type', () => {
    const error = configError(withInstance({ options: { fallbackLogin: 'false' } }));
    expect(error.message).toContain('instances[0].options.fallbackLogin must be a boolean, not a string');
  });

  test('missing required key is named', () => {
    const config = baseConfig();
    delete (config.authentik as Record<string, unknown>).url;
    const error = configError(config);
    expect(error.message).toContain('authentik.url is missing');
  });

  test('empty instance list is rejected', () => {
    const config = baseConfig();
    config.instances = [];
    const error = configError(config);
    expect(error.message).toContain('instances is below the minimum of 1');
  });

  test('Slack ids are checked', () => {
    const config = baseConfig();
    config.access = { approvers: ['@alice'] };
    const error = configError(config);
    expect(error.message).toContain('access.approvers[0] is not a Slack user id or user group id (value: "@alice")');
  });

  test('audit channel must be an id', () => {
    const config = baseConfig();
    config.access = { auditChannel: '#audit' };
    const error = configError(config);
    expect(error.message).toContain('access.auditChannel is not a Slack channel id (value: "#audit")');
  });

  test('unknown scope is rejected', () => {
    const error = configError(withAuthentik({ scopes: ['openid', 'groups'] }));
    expect(error.message).toContain('authentik.scopes names a scope without a built-in authentik scope mapping (value: "groups")');
  });

  test('scopes without openid are rejected', () => {
    const error = configError(withAuthentik({ scopes: ['email'] }));
    expect(error.message).toContain('authentik.scopes does not include openid');
  });

  test('every problem is listed at once', () => {
    const error = configError(withInstance({ name: 'Bad Name', url: 'ftp://x.example' }));
    expect(error.issues).toHaveLength(2);
    expect(error.message).toContain('2 problems');
  });
});

describe('environment', () => {
  test('invalid PORT is named', () => {
    const error = configError(baseConfig(), { ...ENV, PORT: 'eighty' });
    expect(error.message).toContain('PORT is not a TCP port number (value: "eighty")');
  });

  test('invalid LOG_LEVEL is named', () => {
    const error = configError(baseConfig(), { ...ENV, LOG_LEVEL: 'loud' });
    expect(error.message).toContain('LOG_LEVEL is not a log level (value: "loud")');
  });

  test('Redis URL with a password is masked', () => {
    const error = configError(baseConfig(), { ...ENV, REDIS_URL: 'http://user:redis-pass@host' });
    expect(error.message).toContain('REDIS_URL is not a Redis URL');
    expect(error.message).not.toContain('redis-pass');
  });

  test('SLACK_API_URL gets a trailing slash', () => {
    const config = parseConfig(baseConfig(), { ...ENV, SLACK_API_URL: 'http://127.0.0.1:3999/api' });
    expect(config.slack.apiUrl).toBe('http://127.0.0.1:3999/api/');
  });

  test('all variables are read', () => {
    const config = parseConfig(baseConfig(), {
      ...ENV,
      REDIS_URL: 'redis://127.0.0.1:6390',
      QUEUE_PREFIX: 'test-prefix',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'signing',
      SLACK_APP_TOKEN: 'xapp-1',
      PORT: '4000',
      LOG_LEVEL: 'debug',
    });
    expect(config.env).toMatchObject({ redisUrl: 'redis://127.0.0.1:6390', queuePrefix: 'test-prefix', port: 4000, logLevel: 'debug' });
    expect(config.slack.botToken?.reveal()).toBe('xoxb-1');
    expect(config.slack.signingSecret?.reveal()).toBe('signing');
    expect(config.slack.appToken?.reveal()).toBe('xapp-1');
  });
});

describe('loadConfig', () => {
  test('missing file names ESPO_SSO_CONFIG and the path', () => {
    expect(() => loadConfig({ ...ENV, ESPO_SSO_CONFIG: '/nonexistent/espo-sso.yml' })).toThrow(
      /ESPO_SSO_CONFIG names a file that does not exist \(value: "\/nonexistent\/espo-sso.yml"\)/,
    );
  });

  test('invalid YAML names the line', () => {
    const readFile = (): string => 'authentik:\n  url: [unclosed\n';
    expect(() => loadConfig({ ...ENV, ESPO_SSO_CONFIG: 'x.yml' }, { readFile })).toThrow(/is not valid YAML at line/);
  });

  test('example file is valid', () => {
    const config = loadConfig({ ...ENV, ESPO_SSO_CONFIG: 'espo-sso.example.yml' });
    expect(config.instances.map((instance) => instance.name)).toEqual(['acme']);
    expect(config.instances[0]?.options.teams).toEqual({ Sales: 'sales-staff' });
  });
});
