import { phpBoolean, readEspoSettings, readPublicSettings } from '../../src/espocrm';
import { type EspoSettings } from '../../src/espocrm/types';

function settingsOf(body: unknown): EspoSettings {
  const result = readEspoSettings(body);
  if (!result.ok) throw new Error(`unexpected problem: ${result.problem}`);
  return result.value;
}

describe('phpBoolean', () => {
  it.each([
    [true, true],
    [false, false],
    [null, false],
    [undefined, false],
    [0, false],
    [1, true],
    ['', false],
    ['0', false],
    ['false', true],
    [[], false],
    [['x'], true],
    [{}, false],
  ])('casts %j to %s', (value, expected) => {
    expect(phpBoolean(value)).toBe(expected);
  });
});

describe('readEspoSettings', () => {
  it('applies EspoCRM read defaults to absent values', () => {
    expect(settingsOf({ version: '10.0.0' })).toEqual({
      version: '10.0.0',
      siteUrl: null,
      authenticationMethod: 'Espo',
      oidcClientId: null,
      oidcAuthorizationEndpoint: null,
      oidcTokenEndpoint: null,
      oidcJwksEndpoint: null,
      oidcUserInfoEndpoint: null,
      oidcJwtSignatureAlgorithmList: [],
      oidcScopes: [],
      oidcUsernameClaim: null,
      oidcLogoutUrl: null,
      oidcFallback: false,
      oidcAllowAdminUser: false,
      oidcAllowRegularUserFallback: false,
      oidcCreateUser: false,
      oidcSync: false,
      oidcSyncTeams: false,
      oidcGroupClaim: null,
      oidcTeamsIds: [],
      oidcTeamsNames: {},
      oidcTeamsColumns: {},
    });
  });

  it('leaves userinfo undefined before 9.1.0', () => {
    const settings = settingsOf({ version: '8.4.2', oidcUserInfoEndpoint: 'https://auth.example.com/userinfo/' });
    expect(settings.oidcUserInfoEndpoint).toBeUndefined();
    expect(settingsOf({ version: '9.1.0', oidcUserInfoEndpoint: 'https://a.example/u/' }).oidcUserInfoEndpoint).toBe('https://a.example/u/');
  });

  it('reads flags as PHP does', () => {
    const settings = settingsOf({ version: '8.4.2', oidcFallback: 'false', oidcCreateUser: 0, oidcSync: 1 });
    expect(settings.oidcFallback).toBe(true);
    expect(settings.oidcCreateUser).toBe(false);
    expect(settings.oidcSync).toBe(true);
  });

  it('reads empty team maps sent as []', () => {
    const settings = settingsOf({ version: '8.4.2', oidcTeamsNames: [], oidcTeamsColumns: [] });
    expect(settings.oidcTeamsNames).toEqual({});
    expect(settings.oidcTeamsColumns).toEqual({});
  });

  it('reads a null group as empty', () => {
    const settings = settingsOf({ version: '8.4.2', oidcTeamsIds: ['t1'], oidcTeamsColumns: { t1: { group: null } } });
    expect(settings.oidcTeamsColumns).toEqual({ t1: { group: '' } });
  });

  it('keeps an unknown authenticationMethod as stored', () => {
    expect(settingsOf({ version: '8.4.2', authenticationMethod: 'oidc' }).authenticationMethod).toBe('oidc');
  });

  it('drops keys it does not manage', () => {
    const settings = settingsOf({ version: '8.4.2', oidcAuthorizationPrompt: 'login', smtpPassword: 'x' });
    expect(Object.keys(settings)).not.toContain('oidcAuthorizationPrompt');
    expect(Object.keys(settings)).not.toContain('smtpPassword');
  });

  it.each([
    [{}, 'version'],
    [{ version: 8 }, 'version'],
    [{ version: '8.4.2', oidcScopes: 'profile' }, 'oidcScopes'],
    [{ version: '8.4.2', oidcTeamsIds: { 0: 't1' } }, 'oidcTeamsIds'],
    [{ version: '8.4.2', oidcClientId: 5 }, 'oidcClientId'],
    [[], '(body)'],
  ])('reports a wrong shape %j naming %s', (body, path) => {
    const result = readEspoSettings(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(path);
  });

  it('throws for an unparsable version', () => {
    expect(() => readEspoSettings({ version: 'dev' })).toThrow(expect.objectContaining({ code: 'invalid_response' }));
  });
});

describe('readPublicSettings', () => {
  it('reads loginData while the method is Oidc', () => {
    const result = readPublicSettings({ siteUrl: 'https://crm.example.com', loginData: { method: 'Oidc', fallback: true } });
    expect(result).toEqual({ ok: true, value: { siteUrl: 'https://crm.example.com', loginData: { method: 'Oidc', fallback: true } } });
  });

  it('reads absent loginData as undefined', () => {
    expect(readPublicSettings({ siteUrl: null })).toEqual({ ok: true, value: { siteUrl: null, loginData: undefined } });
  });
});
