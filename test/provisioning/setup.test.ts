import { type AuthentikVersion } from '../../sandbox/authentik';
import { type EspoMode } from '../../sandbox/espocrm';
import { applyPlan, planOperation } from '../../src/provisioning';
import {
  ALL_PAIRS,
  APPLICATION_NAME,
  AUTHENTIK_VERSIONS,
  countRounds,
  PUBLIC_AUTHENTIK_URL,
  SLUG,
  startSystems,
  type Systems,
} from './harness';

const OIDC = `${PUBLIC_AUTHENTIK_URL}/application/o`;

let systems: Systems | undefined;

afterEach(async () => {
  await systems?.stop();
  systems = undefined;
});

/** Plans and applies a setup with fresh contexts, as a reviewed plan and a later job would. */
async function setUp(current: Systems): Promise<void> {
  const plan = await planOperation(current.context(), 'setup');
  expect(plan.errors).toEqual([]);
  const result = await applyPlan(current.context(), plan);
  expect(result.error).toBeUndefined();
  expect(result.ok).toBe(true);
}

function scopeMappingPks(current: Systems, scopes: string[]): string[] {
  return current.authentik
    .scopeMappings()
    .filter((mapping) => scopes.includes(mapping.scope_name))
    .map((mapping) => mapping.pk)
    .sort();
}

describe.each(ALL_PAIRS)('setup on authentik %s with EspoCRM %s', (version: AuthentikVersion, mode: EspoMode) => {
  test('creates one provider with exact fields', async () => {
    systems = await startSystems({ authentikVersion: version, espoMode: mode });
    await setUp(systems);

    const providers = systems.authentik.providers();
    expect(providers).toHaveLength(1);
    const provider = providers[0];
    if (!provider) throw new Error('no provider');
    const rsaKey = systems.authentik.keypairs().find((keypair) => keypair.keyType === 'rsa');

    expect(provider.name).toBe(APPLICATION_NAME);
    expect(provider.client_type).toBe('confidential');
    expect(provider.redirect_uris.map(({ matching_mode, url }) => ({ matching_mode, url }))).toEqual([
      { matching_mode: 'strict', url: `${systems.espocrm.url}/oauth-callback.php` },
    ]);
    expect(provider.sub_mode).toBe('user_username');
    expect(provider.signing_key).toBe(rsaKey?.pk);
    expect(provider.encryption_key).toBeNull();
    expect([...provider.property_mappings].sort()).toEqual(scopeMappingPks(systems, ['openid', 'email', 'profile']));
    expect(provider.authorization_flow).toBe(systems.authentik.flow('default-provider-authorization-explicit-consent').pk);
    expect(provider.invalidation_flow).toBe(systems.authentik.flow('default-provider-invalidation-flow').pk);
    if (version === '2026.8') expect(provider.grant_types).toEqual(['authorization_code', 'refresh_token']);
    else expect(provider.grant_types).toBeUndefined();
    // Nothing was sent that the imitated version does not know.
    expect(systems.authentik.ignoredInputs()).toEqual([]);
  });

  test('creates one application for the provider', async () => {
    systems = await startSystems({ authentikVersion: version, espoMode: mode });
    await setUp(systems);

    const [provider] = systems.authentik.providers();
    const applications = systems.authentik.applications();
    expect(applications).toHaveLength(1);
    expect(applications[0]).toMatchObject({
      slug: SLUG,
      name: APPLICATION_NAME,
      provider: provider?.pk,
      meta_launch_url: systems.espocrm.url,
    });
  });

  test('writes exact EspoCRM settings', async () => {
    systems = await startSystems({ authentikVersion: version, espoMode: mode });
    await setUp(systems);

    const [provider] = systems.authentik.providers();
    const settings = systems.espocrm.settings;
    expect(settings).toMatchObject({
      authenticationMethod: 'Oidc',
      oidcClientId: provider?.client_id,
      oidcClientSecret: provider?.client_secret,
      oidcAuthorizationEndpoint: `${OIDC}/authorize/`,
      oidcTokenEndpoint: `${OIDC}/token/`,
      oidcJwksEndpoint: `${OIDC}/${SLUG}/jwks/`,
      oidcLogoutUrl: `${OIDC}/${SLUG}/end-session/`,
      oidcJwtSignatureAlgorithmList: ['RS256'],
      oidcScopes: ['profile', 'email'],
      oidcUsernameClaim: 'sub',
      oidcFallback: true,
      oidcAllowAdminUser: false,
      oidcAllowRegularUserFallback: false,
      oidcCreateUser: true,
      oidcSync: false,
      oidcSyncTeams: false,
      oidcGroupClaim: null,
      oidcTeamsIds: [],
      oidcTeamsNames: {},
      oidcTeamsColumns: {},
    });
    expect(typeof settings.oidcClientSecret).toBe('string');
    expect(String(settings.oidcClientSecret).length).toBeGreaterThanOrEqual(64);
    if (mode === '10.0') expect(settings.oidcUserInfoEndpoint).toBe(`${OIDC}/userinfo/`);
    else expect(settings).not.toHaveProperty('oidcUserInfoEndpoint');
    expect(systems.espocrm.unknownKeysWritten()).toEqual([]);
  });

  test('maps options and teams', async () => {
    systems = await startSystems({
      authentikVersion: version,
      espoMode: mode,
      teams: ['Sales', 'Support', 'Unmapped'],
      authentik: { subjectMode: 'user_email', scopes: ['openid', 'profile'] },
      options: {
        fallbackLogin: false,
        allowAdminOidcLogin: true,
        allowRegularUserFallback: true,
        createUsers: false,
        syncUserData: true,
        syncTeams: true,
        teams: { Sales: 'sales-staff', Support: 'support-staff' },
        scopes: ['profile'],
      },
    });
    await setUp(systems);

    const team = (name: string): string => {
      const found = systems?.espocrm.teams.find((candidate) => candidate.name === name);
      if (!found) throw new Error(`no team ${name}`);
      return found.id;
    };
    const sales = team('Sales');
    const support = team('Support');
    const settings = systems.espocrm.settings;
    expect(settings).toMatchObject({
      oidcFallback: false,
      oidcAllowAdminUser: true,
      oidcAllowRegularUserFallback: true,
      oidcCreateUser: false,
      oidcSync: true,
      oidcSyncTeams: true,
      oidcGroupClaim: 'groups',
      oidcScopes: ['profile'],
    });
    expect(settings.oidcTeamsIds).toEqual([sales, support]);
    expect(settings.oidcTeamsNames).toEqual({ [sales]: 'Sales', [support]: 'Support' });
    expect(settings.oidcTeamsColumns).toEqual({ [sales]: { group: 'sales-staff' }, [support]: { group: 'support-staff' } });

    const [provider] = systems.authentik.providers();
    expect(provider?.sub_mode).toBe('user_email');
    expect([...(provider?.property_mappings ?? [])].sort()).toEqual(scopeMappingPks(systems, ['openid', 'profile']));
  });

  test('second run changes nothing', async () => {
    systems = await startSystems({ authentikVersion: version, espoMode: mode, teams: ['Sales'], options: { teams: { Sales: 'sales' } } });
    await setUp(systems);
    const providersBefore = systems.authentik.providers();
    const settingsBefore = systems.espocrm.settings;
    systems.clearRequests();

    const plan = await planOperation(systems.context(), 'setup');
    expect(plan.errors).toEqual([]);
    expect(plan.changes).toEqual([]);
    expect(plan.summary).toMatchObject({ provider: 'keep', application: 'keep', espocrm: 'keep', newSecret: false });

    const result = await applyPlan(systems.context(), plan);
    expect(result.ok).toBe(true);
    expect(systems.writeRequests().map((request) => `${request.method} ${request.path}`)).toEqual([]);
    expect(systems.authentik.providers()).toEqual(providersBefore);
    expect(systems.espocrm.settings).toEqual(settingsBefore);
  });

  test('trailing slashes give no double slash', async () => {
    systems = await startSystems({
      authentikVersion: version,
      espoMode: mode,
      instanceUrlSuffix: '/',
      siteUrlSuffix: '/',
      authentik: { url: `${PUBLIC_AUTHENTIK_URL}/` },
    });
    await setUp(systems);

    const [provider] = systems.authentik.providers();
    const [application] = systems.authentik.applications();
    const settings = systems.espocrm.settings;
    const values = [
      ...(provider?.redirect_uris.map((entry) => entry.url) ?? []),
      application?.meta_launch_url,
      settings.oidcAuthorizationEndpoint,
      settings.oidcTokenEndpoint,
      settings.oidcJwksEndpoint,
      settings.oidcLogoutUrl,
      settings.oidcUserInfoEndpoint,
    ].filter((value): value is string => typeof value === 'string');
    expect(values.length).toBeGreaterThanOrEqual(6);
    for (const value of values) expect(value.replace(/^https?:\/\//, '')).not.toContain('//');
    expect(provider?.redirect_uris[0]?.url).toBe(`${systems.espocrm.url}/oauth-callback.php`);

    const login = await fetch(`${systems.espocrm.url}/api/v1/Oidc/authorizationData`);
    const data = (await login.json()) as { redirectUri: string };
    expect(data.redirectUri).toBe(provider?.redirect_uris[0]?.url);

    const again = await planOperation(systems.context(), 'setup');
    expect(again.changes).toEqual([]);
  });

  test('apiUrl never reaches EspoCRM', async () => {
    systems = await startSystems({ authentikVersion: version, espoMode: mode });
    await setUp(systems);

    const apiHost = new URL(systems.authentik.url).host;
    const stored = JSON.stringify(systems.espocrm.settings);
    expect(stored).not.toContain(systems.authentik.url);
    expect(stored).not.toContain(apiHost);
    const sent = systems.espocrm.server.requests.map((request) => request.rawBody).join('\n');
    expect(sent).not.toContain(apiHost);
    expect(stored).toContain(`${PUBLIC_AUTHENTIK_URL}/application/o/`);
  });
});

describe.each(AUTHENTIK_VERSIONS)('orphan provider on authentik %s', (version) => {
  test('is adopted, not duplicated', async () => {
    systems = await startSystems({ authentikVersion: version });
    const orphan = systems.authentik.addProvider({ name: APPLICATION_NAME });

    const plan = await planOperation(systems.context(), 'setup');
    expect(plan.errors).toEqual([]);
    expect(plan.summary.provider).toBe('adopt');
    expect(plan.warnings.join(' ')).toContain(`pk ${orphan.pk}`);
    const result = await applyPlan(systems.context(), plan);
    expect(result.error).toBeUndefined();

    const providers = systems.authentik.providers();
    expect(providers).toHaveLength(1);
    const provider = providers[0];
    expect(provider?.pk).toBe(orphan.pk);
    expect(provider?.sub_mode).toBe('user_username');
    expect(provider?.redirect_uris.map((entry) => entry.url)).toEqual([`${systems.espocrm.url}/oauth-callback.php`]);
    expect(provider?.signing_key).toBe(systems.authentik.keypairs()[0]?.pk);
    if (version === '2026.8') expect(provider?.grant_types).toEqual(['authorization_code', 'refresh_token']);
    expect(systems.authentik.applications().map((application) => application.provider)).toEqual([orphan.pk]);
    expect(systems.espocrm.settings.oidcClientId).toBe(orphan.client_id);
    expect(systems.espocrm.settings.oidcClientSecret).toBe(provider?.client_secret);

    const again = await planOperation(systems.context(), 'setup');
    expect(again.changes).toEqual([]);
  });
});

describe.each(['2024.10.3', '2025.10'] as const)('upgrade from authentik %s to 2026.8', (version) => {
  test('adds the grant types only', async () => {
    systems = await startSystems({ authentikVersion: version });
    await setUp(systems);
    systems.authentik.setVersion('2026.8');

    const plan = await planOperation(systems.context(), 'setup');
    expect(plan.changes.map((change) => `${change.action} ${change.field}`)).toEqual(['update grant_types']);
    systems.clearRequests();
    const result = await applyPlan(systems.context(), plan);
    expect(result.ok).toBe(true);

    expect(systems.writeRequests().map((request) => `${request.method} ${request.path}`)).toEqual(['PATCH /api/v3/providers/oauth2/1/']);
    expect(systems.authentik.providers()[0]?.grant_types).toEqual(['authorization_code', 'refresh_token']);
    expect((await planOperation(systems.context(), 'setup')).changes).toEqual([]);
  });
});

describe.each(AUTHENTIK_VERSIONS)('signing key choice on authentik %s', (version) => {
  test('picks the RSA key among EC ones', async () => {
    systems = await startSystems({ authentikVersion: version, keys: 'ec-only' });
    systems.authentik.addKeypair({ name: 'rsa without private key', keyType: 'rsa', hasKey: false });
    const rsa = systems.authentik.addKeypair({ name: 'rsa signing', keyType: 'rsa', hasKey: true });
    systems.authentik.addKeypair({ name: 'another ec', keyType: 'ec', hasKey: true });
    await setUp(systems);

    expect(systems.authentik.providers()[0]?.signing_key).toBe(rsa.pk);
  });

  test('configured EC key is an error', async () => {
    systems = await startSystems({ authentikVersion: version, keys: 'ec-only', authentik: { signingKey: 'authentik Self-signed Certificate' } });
    systems.authentik.addKeypair({ name: 'rsa signing', keyType: 'rsa', hasKey: true });

    const plan = await planOperation(systems.context(), 'setup');
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.message).toBe(
      'The signing key "authentik Self-signed Certificate" is an EC key; EspoCRM verifies only RSA signatures (RS256).',
    );
    expect(plan.errors[0]?.fix).toContain('set authentik.signingKey to an RSA keypair');
  });
});

describe.each(AUTHENTIK_VERSIONS)('application without provider on authentik %s', (version) => {
  test('gets a new provider', async () => {
    systems = await startSystems({ authentikVersion: version });
    systems.authentik.addApplication({ name: APPLICATION_NAME, slug: SLUG });

    const plan = await planOperation(systems.context(), 'setup');
    expect(plan.errors).toEqual([]);
    expect(plan.summary).toMatchObject({ provider: 'create', application: 'update' });
    const result = await applyPlan(systems.context(), plan);
    expect(result.error).toBeUndefined();

    const [provider] = systems.authentik.providers();
    expect(systems.authentik.applications().map((application) => application.provider)).toEqual([provider?.pk]);
    expect(systems.authentik.applications()[0]?.meta_launch_url).toBe(systems.espocrm.url);
    expect((await planOperation(systems.context(), 'setup')).changes).toEqual([]);
  });
});

describe('sequential rounds', () => {
  test.each(AUTHENTIK_VERSIONS)('plan and apply stay few on %s', async (version) => {
    // The latency keeps calls of one round overlapping and calls of consecutive rounds apart.
    systems = await startSystems({ authentikVersion: version, latencyMs: 30 });

    const planContext = systems.context();
    const plan = await planOperation(planContext, 'setup');
    expect(countRounds(systems.calls)).toBeLessThanOrEqual(2);
    systems.clearRequests();

    const result = await applyPlan(systems.context(), plan);
    expect(result.ok).toBe(true);
    // Read (2: version and sign-in, then the rest), provider, application, settings write and
    // its read-back, then every verify check at once.
    expect(countRounds(systems.calls)).toBeLessThanOrEqual(7);
    // Every lookup is one request here: no list has a second page.
    expect(systems.requests().length).toBeLessThanOrEqual(18);
  });
});
