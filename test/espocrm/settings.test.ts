import { inspect } from 'node:util';

import { Secret } from '../../src/config/secret';
import { EspoSsoError } from '../../src/errors';
import {
  buildSettingsBody,
  findSettingsIssues,
  findUnstoredFields,
  OIDC_SETTINGS,
  serializeSettingsBody,
  settingNamesFor,
} from '../../src/espocrm';
import { type OidcSettingsWrite } from '../../src/espocrm/types';
import { validSettings } from './stub-server';

const SECRET = 'client-secret-value-0123456789';

function issueFields(version: string, settings: OidcSettingsWrite): string[] {
  return findSettingsIssues(version, settings).map((issue) => issue.field);
}

function buildError(version: string, settings: OidcSettingsWrite): EspoSsoError {
  try {
    buildSettingsBody(version, settings);
  } catch (error) {
    if (error instanceof EspoSsoError) return error;
    throw error;
  }
  throw new Error('buildSettingsBody did not throw');
}

/** Casts a value of the wrong runtime type in, as a JavaScript caller or a bad cast could. */
function loose<T>(value: unknown): T {
  return value as T;
}

describe('settingNamesFor', () => {
  it('leaves oidcUserInfoEndpoint out before 9.1.0', () => {
    expect(settingNamesFor('8.4.2')).not.toContain('oidcUserInfoEndpoint');
    expect(settingNamesFor('9.0.9')).not.toContain('oidcUserInfoEndpoint');
    expect(settingNamesFor('9.1.0')).toContain('oidcUserInfoEndpoint');
    expect(settingNamesFor('10.0.0')).toContain('oidcUserInfoEndpoint');
  });

  it('never lists the client secret', () => {
    expect(settingNamesFor('10.0.0')).not.toContain('oidcClientSecret');
    expect(Object.keys(OIDC_SETTINGS)).toContain('oidcClientSecret');
  });
});

describe('buildSettingsBody', () => {
  it('builds the exact 8.4 body without userinfo or secret', () => {
    const body = buildSettingsBody('8.4.2', validSettings());
    expect(body.fields).toEqual({
      authenticationMethod: 'Oidc',
      oidcClientId: 'espocrm-client-id',
      oidcAuthorizationEndpoint: 'https://auth.example.com/application/o/authorize/',
      oidcTokenEndpoint: 'https://auth.example.com/application/o/token/',
      oidcJwksEndpoint: 'https://auth.example.com/application/o/espocrm/jwks/',
      oidcJwtSignatureAlgorithmList: ['RS256'],
      oidcScopes: ['profile', 'email'],
      oidcUsernameClaim: 'sub',
      oidcLogoutUrl: 'https://auth.example.com/application/o/espocrm/end-session/',
      oidcFallback: true,
      oidcAllowAdminUser: false,
      oidcAllowRegularUserFallback: false,
      oidcCreateUser: true,
      oidcSync: false,
      oidcSyncTeams: false,
      oidcGroupClaim: 'groups',
      oidcTeamsIds: ['team-sales'],
      oidcTeamsNames: { 'team-sales': 'Sales' },
      oidcTeamsColumns: { 'team-sales': { group: 'crm-sales' } },
    });
    expect(body.sendsClientSecret).toBe(true);
    expect(body.version).toBe('8.4.2');
  });

  it('adds userinfo on 9.1.0 and later', () => {
    const body = buildSettingsBody('10.0.0', validSettings());
    expect(body.fields.oidcUserInfoEndpoint).toBe('https://auth.example.com/application/o/userinfo/');
    expect(Object.keys(body.fields)).toHaveLength(20);
  });

  it('keeps the secret out of fields, JSON and inspection', () => {
    const body = buildSettingsBody('10.0.0', validSettings());
    expect(Object.keys(body.fields)).not.toContain('oidcClientSecret');
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(inspect(body, { depth: 5 })).not.toContain(SECRET);
  });

  it('serializes the secret only for the wire', () => {
    const body = buildSettingsBody('10.0.0', validSettings());
    const wire = JSON.parse(serializeSettingsBody(body)) as Record<string, unknown>;
    expect(wire.oidcClientSecret).toBe(SECRET);
    expect(Object.keys(wire)).toHaveLength(21);
  });

  it('omits the secret when none is given', () => {
    const body = buildSettingsBody('10.0.0', validSettings({ oidcClientSecret: undefined }));
    expect(body.sendsClientSecret).toBe(false);
    expect(body.clientSecret).toBeUndefined();
    expect(serializeSettingsBody(body)).not.toContain('oidcClientSecret');
  });

  it('copies values so later changes to the input do not leak in', () => {
    const settings = validSettings();
    const body = buildSettingsBody('10.0.0', settings);
    settings.oidcScopes.push('phone');
    settings.oidcTeamsColumns['team-sales'].group = 'changed';
    expect(body.fields.oidcScopes).toEqual(['profile', 'email']);
    expect(body.fields.oidcTeamsColumns).toEqual({ 'team-sales': { group: 'crm-sales' } });
  });

  it('never sends keys that are not managed', () => {
    const settings = loose<OidcSettingsWrite>({ ...validSettings(), oidcAuthorizationPrompt: 'login', siteUrl: 'x' });
    const body = buildSettingsBody('10.0.0', settings);
    expect(Object.keys(body.fields)).not.toContain('oidcAuthorizationPrompt');
    expect(Object.keys(body.fields)).not.toContain('siteUrl');
  });

  it('accepts the Espo method with empty OIDC values', () => {
    const settings = validSettings({
      authenticationMethod: 'Espo',
      oidcClientId: null,
      oidcAuthorizationEndpoint: null,
      oidcTokenEndpoint: null,
      oidcJwksEndpoint: null,
      oidcUserInfoEndpoint: null,
      oidcLogoutUrl: null,
      oidcTeamsIds: [],
      oidcTeamsNames: {},
      oidcTeamsColumns: {},
      oidcClientSecret: undefined,
    });
    expect(findSettingsIssues('10.0.0', settings)).toEqual([]);
  });

  it('rejects a version older than 7.3.0', () => {
    expect(buildError('7.2.0', validSettings()).code).toBe('unsupported_version');
  });

  it('throws plan_invalid naming every field', () => {
    const error = buildError(
      '10.0.0',
      validSettings({ oidcTokenEndpoint: 'http://localhost:9000/application/o/token/', oidcScopes: ['bad scope'] }),
    );
    expect(error.code).toBe('plan_invalid');
    expect(error.system).toBe('espocrm');
    expect(error.message).toContain('oidcTokenEndpoint');
    expect(error.message).toContain('localhost');
    expect(error.message).toContain('oidcScopes');
    expect(error.message).not.toContain(SECRET);
  });
});

describe('findSettingsIssues', () => {
  it('finds nothing in valid settings', () => {
    expect(findSettingsIssues('8.4.2', validSettings())).toEqual([]);
    expect(findSettingsIssues('10.0.0', validSettings())).toEqual([]);
  });

  it('accepts LDAP, which a rollback may restore', () => {
    expect(issueFields('10.0.0', validSettings({ authenticationMethod: 'LDAP' }))).toEqual([]);
  });

  it.each(['oidc', 'OIDC', 'ldap', '', 'Oidc '])('rejects authenticationMethod %j', (method) => {
    expect(issueFields('10.0.0', validSettings({ authenticationMethod: method }))).toEqual(['authenticationMethod']);
  });

  it.each([
    ['http://localhost:9000/application/o/token/', 'without a dot'],
    ['http://authentik:9000/application/o/token/', 'without a dot'],
    ['http://[::1]:9000/application/o/token/', 'without a dot'],
    ['auth.example.com/application/o/token/', 'not an absolute URL'],
    ['ftp://auth.example.com/token/', 'http or https'],
    ['', 'must not be empty'],
    [' https://auth.example.com/token/', 'whitespace'],
    [`https://auth.example.com/${'a'.repeat(240)}`, '255'],
    ['https://auth.example.com/a b/', 'may not contain unencoded'],
    ['https://bücher.example.com/token/', 'may not contain unencoded'],
    ['https://auth.example.com/{x}/', 'may not contain unencoded'],
  ])('rejects token endpoint %j', (url, text) => {
    const issues = findSettingsIssues('10.0.0', validSettings({ oidcTokenEndpoint: url }));
    expect(issues.map((issue) => issue.field)).toEqual(['oidcTokenEndpoint']);
    expect(issues[0]?.message).toContain(text);
  });

  it.each(['https://auth.example.com/application/o/token/', 'http://127.0.0.1:9000/application/o/token/', 'http://auth.localhost:9000/t/'])(
    'accepts token endpoint %j',
    (url) => {
      expect(findSettingsIssues('10.0.0', validSettings({ oidcTokenEndpoint: url }))).toEqual([]);
    },
  );

  it('hides credentials of a URL in the message', () => {
    const issues = findSettingsIssues('10.0.0', validSettings({ oidcJwksEndpoint: 'https://user:pa55word@auth.example.com/jwks/' }));
    expect(issues.map((issue) => issue.field)).toEqual(['oidcJwksEndpoint']);
    expect(issues[0]?.message).not.toContain('pa55word');
  });

  it('checks userinfo only where the version has it', () => {
    const settings = validSettings({ oidcUserInfoEndpoint: 'http://localhost:9000/application/o/userinfo/' });
    expect(issueFields('8.4.2', settings)).toEqual([]);
    expect(issueFields('9.1.0', settings)).toEqual(['oidcUserInfoEndpoint']);
  });

  it('lets the logout URL use a dot-less host and placeholders', () => {
    const settings = validSettings({ oidcLogoutUrl: 'http://authentik:9000/application/o/espocrm/end-session/?next={siteUrl}' });
    expect(findSettingsIssues('10.0.0', settings)).toEqual([]);
    expect(issueFields('10.0.0', validSettings({ oidcLogoutUrl: '{siteUrl}' }))).toEqual(['oidcLogoutUrl']);
  });

  it.each([['ES256'], ['none'], ['rs256']])('rejects signature algorithm %s', (algorithm) => {
    expect(issueFields('10.0.0', validSettings({ oidcJwtSignatureAlgorithmList: ['RS256', algorithm] }))).toEqual([
      'oidcJwtSignatureAlgorithmList',
    ]);
  });

  it('rejects an empty algorithm list for Oidc', () => {
    expect(issueFields('10.0.0', validSettings({ oidcJwtSignatureAlgorithmList: [] }))).toEqual(['oidcJwtSignatureAlgorithmList']);
  });

  it('needs JWKS only for RSA algorithms', () => {
    expect(issueFields('10.0.0', validSettings({ oidcJwksEndpoint: null }))).toEqual(['oidcJwksEndpoint']);
    const hmac = validSettings({ oidcJwksEndpoint: null, oidcJwtSignatureAlgorithmList: ['HS256'] });
    expect(findSettingsIssues('10.0.0', hmac)).toEqual([]);
  });

  it.each([
    ['oidcFallback', 'false'],
    ['oidcCreateUser', 0],
    ['oidcSync', null],
    ['oidcAllowAdminUser', 'true'],
  ])('rejects %s = %j as not a boolean', (field, value) => {
    const settings = loose<OidcSettingsWrite>({ ...validSettings(), [field]: value });
    expect(issueFields('10.0.0', settings)).toContain(field);
  });

  it('requires client id and endpoints for Oidc', () => {
    const settings = validSettings({ oidcClientId: null, oidcAuthorizationEndpoint: null, oidcTokenEndpoint: null, oidcUsernameClaim: '' });
    expect(issueFields('10.0.0', settings).sort()).toEqual(
      ['oidcAuthorizationEndpoint', 'oidcClientId', 'oidcTokenEndpoint', 'oidcUsernameClaim'].sort(),
    );
  });

  it('rejects settings that lock every admin out', () => {
    const settings = validSettings({ oidcFallback: false, oidcAllowAdminUser: false });
    expect(issueFields('10.0.0', settings)).toEqual(['oidcFallback']);
    expect(findSettingsIssues('10.0.0', validSettings({ oidcFallback: false, oidcAllowAdminUser: true }))).toEqual([]);
  });

  it('rejects a client id over 255 characters', () => {
    expect(issueFields('10.0.0', validSettings({ oidcClientId: 'x'.repeat(256) }))).toEqual(['oidcClientId']);
  });

  it('rejects an empty or long client secret without showing it', () => {
    expect(issueFields('10.0.0', validSettings({ oidcClientSecret: new Secret('') }))).toEqual(['oidcClientSecret']);
    const long = 's'.repeat(300);
    const issues = findSettingsIssues('10.0.0', validSettings({ oidcClientSecret: new Secret(long) }));
    expect(issues.map((issue) => issue.field)).toEqual(['oidcClientSecret']);
    expect(issues[0]?.message).not.toContain(long);
  });

  it('rejects a scope over 100 characters', () => {
    expect(issueFields('10.0.0', validSettings({ oidcScopes: ['profile', 'x'.repeat(101)] }))).toEqual(['oidcScopes']);
  });

  it('rejects scopes with spaces', () => {
    expect(issueFields('10.0.0', validSettings({ oidcScopes: ['profile email'] }))).toEqual(['oidcScopes']);
    expect(findSettingsIssues('10.0.0', validSettings({ oidcScopes: ['profile', 'groups'] }))).toEqual([]);
  });

  describe('team attributes', () => {
    it('accepts no teams', () => {
      const settings = validSettings({ oidcTeamsIds: [], oidcTeamsNames: {}, oidcTeamsColumns: {} });
      expect(findSettingsIssues('10.0.0', settings)).toEqual([]);
    });

    it('rejects names missing an id', () => {
      const settings = validSettings({ oidcTeamsIds: ['team-sales', 'team-ops'], oidcTeamsColumns: { 'team-sales': { group: 'a' }, 'team-ops': { group: 'b' } } });
      const issues = findSettingsIssues('10.0.0', settings);
      expect(issues.map((issue) => issue.field)).toEqual(['oidcTeamsNames']);
      expect(issues[0]?.message).toContain('team-ops');
    });

    it('rejects columns for an unlisted id', () => {
      const settings = validSettings({ oidcTeamsColumns: { 'team-sales': { group: 'a' }, 'team-x': { group: 'b' } } });
      const issues = findSettingsIssues('10.0.0', settings);
      expect(issues.map((issue) => issue.field)).toEqual(['oidcTeamsColumns']);
      expect(issues[0]?.message).toContain('team-x');
    });

    it('rejects a duplicate id', () => {
      const settings = validSettings({ oidcTeamsIds: ['team-sales', 'team-sales'] });
      expect(issueFields('10.0.0', settings)).toEqual(['oidcTeamsIds']);
    });

    it('rejects columns of the wrong shape', () => {
      const settings = loose<OidcSettingsWrite>({ ...validSettings(), oidcTeamsColumns: { 'team-sales': 'crm-sales' } });
      expect(issueFields('10.0.0', settings)).toEqual(['oidcTeamsColumns']);
      const extraKey = loose<OidcSettingsWrite>({
        ...validSettings(),
        oidcTeamsColumns: { 'team-sales': { group: 'crm-sales', other: 1 } },
      });
      expect(issueFields('10.0.0', extraKey)).toEqual(['oidcTeamsColumns']);
    });

    it('rejects an id with a space', () => {
      const settings = validSettings({
        oidcTeamsIds: ['team sales'],
        oidcTeamsNames: { 'team sales': 'Sales' },
        oidcTeamsColumns: { 'team sales': { group: 'crm-sales' } },
      });
      expect(issueFields('10.0.0', settings)).toEqual(['oidcTeamsIds']);
    });

    it('rejects ids given as an object', () => {
      const settings = loose<OidcSettingsWrite>({ ...validSettings(), oidcTeamsIds: { 0: 'team-sales' } });
      expect(issueFields('10.0.0', settings)).toEqual(['oidcTeamsIds']);
    });
  });
});

describe('findUnstoredFields', () => {
  const fields = buildSettingsBody('10.0.0', validSettings()).fields;

  it('finds nothing when every value is stored', () => {
    const stored = { ...fields, oidcTeamsNames: { 'team-sales': 'Sales' }, siteUrl: 'https://crm.example.com' };
    expect(findUnstoredFields(fields, stored)).toEqual([]);
  });

  it('names each differing field', () => {
    const stored = { ...fields, oidcFallback: false, oidcScopes: ['email', 'profile'] };
    expect(findUnstoredFields(fields, stored)).toEqual(['oidcScopes', 'oidcFallback']);
  });

  it('ignores key order in objects', () => {
    const two = buildSettingsBody(
      '10.0.0',
      validSettings({
        oidcTeamsIds: ['a', 'b'],
        oidcTeamsNames: { a: 'A', b: 'B' },
        oidcTeamsColumns: { a: { group: 'ga' }, b: { group: 'gb' } },
      }),
    ).fields;
    const stored = { ...two, oidcTeamsNames: { b: 'B', a: 'A' }, oidcTeamsColumns: { b: { group: 'gb' }, a: { group: 'ga' } } };
    expect(findUnstoredFields(two, stored)).toEqual([]);
  });
});
