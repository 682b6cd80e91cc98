import { applyPlan, planOperation } from '../../src/provisioning';
import { ALL_PAIRS, AUTHENTIK_VERSIONS, ESPO_PASSWORD, ESPO_USER, startSystems, type Systems } from './harness';

let systems: Systems | undefined;

afterEach(async () => {
  await systems?.stop();
  systems = undefined;
});

/** Starts the fakes and runs a setup, so single sign-on is on. */
async function startWithSso(
  version: (typeof ALL_PAIRS)[number][0],
  mode: (typeof ALL_PAIRS)[number][1],
  espoTimeoutSeconds?: number,
): Promise<Systems> {
  const current = await startSystems({ authentikVersion: version, espoMode: mode, espoTimeoutSeconds });
  const plan = await planOperation(current.context(), 'setup');
  const result = await applyPlan(current.context(), plan);
  if (!result.ok) throw new Error(`setup failed: ${result.error?.message ?? ''}`);
  return current;
}

function onlyProvider(current: Systems) {
  const providers = current.authentik.providers();
  expect(providers).toHaveLength(1);
  const provider = providers[0];
  if (!provider) throw new Error('no provider');
  return provider;
}

describe.each(ALL_PAIRS)('rotate on authentik %s with EspoCRM %s', (version, mode) => {
  test('sets one new secret on both sides', async () => {
    systems = await startWithSso(version, mode);
    const before = onlyProvider(systems);
    const settingsBefore = systems.espocrm.settings;

    const plan = await planOperation(systems.context(), 'rotate');
    expect(plan.errors).toEqual([]);
    expect(plan.summary.newSecret).toBe(true);
    const result = await applyPlan(systems.context(), plan);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);

    const after = onlyProvider(systems);
    const settings = systems.espocrm.settings;
    expect(after.client_secret).not.toBe(before.client_secret);
    expect(settings.oidcClientSecret).toBe(after.client_secret);
    expect(after.client_secret.length).toBeGreaterThanOrEqual(64);
    expect(after.client_id).toBe(before.client_id);
    expect({ ...settings, oidcClientSecret: null }).toEqual({ ...settingsBefore, oidcClientSecret: null });
  });

  test('EspoCRM failure restores the old secret', async () => {
    systems = await startWithSso(version, mode);
    const before = onlyProvider(systems);
    const plan = await planOperation(systems.context(), 'rotate');
    systems.espocrm.server.injectFault({ method: 'PUT', path: '/api/v1/Settings', sequence: [400] });

    const result = await applyPlan(systems.context(), plan);

    expect(result.ok).toBe(false);
    expect(result.undone).toEqual([
      'restored the previous EspoCRM settings',
      `restored the previous client secret of provider "${before.name}"`,
    ]);
    expect(onlyProvider(systems).client_secret).toBe(before.client_secret);
    expect(systems.espocrm.settings.oidcClientSecret).toBe(before.client_secret);
  });

  test('failure after the EspoCRM write keeps both sides equal', async () => {
    systems = await startWithSso(version, mode, 1);
    const before = onlyProvider(systems);
    const plan = await planOperation(systems.context(), 'rotate');
    // EspoCRM stores the new secret but its answer comes after the client's timeout, so the run
    // fails with the new secret stored in EspoCRM.
    systems.espocrm.server.injectFault({ method: 'PUT', path: '/api/v1/Settings', sequence: [{ respondAfterMs: 1500 }] });

    const result = await applyPlan(systems.context(), plan);

    expect(result.ok).toBe(false);
    expect(result.leftBehind).toEqual([]);
    expect(onlyProvider(systems).client_secret).toBe(before.client_secret);
    expect(systems.espocrm.settings.oidcClientSecret).toBe(before.client_secret);
  });
});

describe.each(AUTHENTIK_VERSIONS)('rotate before setup on authentik %s', (version) => {
  test('is a plan error naming setup', async () => {
    systems = await startSystems({ authentikVersion: version });
    const plan = await planOperation(systems.context(), 'rotate');
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.message).toContain('not set up');
    expect(plan.errors[0]?.fix).toBe('run setup for acme first');
  });
});

describe.each(ALL_PAIRS)('disable on authentik %s with EspoCRM %s', (version, mode) => {
  test('restores EspoCRM login and keeps authentik', async () => {
    systems = await startWithSso(version, mode);
    const provider = onlyProvider(systems);
    expect(await systems.publicSettings()).toHaveProperty('loginData');

    const plan = await planOperation(systems.context(), 'disable');
    expect(plan.errors).toEqual([]);
    const result = await applyPlan(systems.context(), plan);
    expect(result.error).toBeUndefined();

    expect(systems.espocrm.settings.authenticationMethod).toBe('Espo');
    expect(await systems.publicSettings()).not.toHaveProperty('loginData');
    const login = await fetch(`${systems.espocrm.url}/api/v1/Oidc/authorizationData`);
    expect(login.status).toBe(403);
    expect(systems.espocrm.passwordSignIn(ESPO_USER, ESPO_PASSWORD).passes).toBe(true);
    expect(systems.authentik.providers()).toEqual([provider]);
    expect(systems.authentik.applications()).toHaveLength(1);

    const again = await planOperation(systems.context(), 'disable');
    expect(again.changes).toEqual([]);
  });

  test('--purge also deletes application and provider', async () => {
    systems = await startWithSso(version, mode);

    const plan = await planOperation(systems.context(), 'disable', { purge: true });
    expect(plan.purge).toBe(true);
    expect(plan.summary).toMatchObject({ provider: 'delete', application: 'delete', espocrm: 'update' });
    const result = await applyPlan(systems.context(), plan);
    expect(result.error).toBeUndefined();

    expect(systems.authentik.applications()).toEqual([]);
    expect(systems.authentik.providers()).toEqual([]);
    expect(systems.espocrm.settings.authenticationMethod).toBe('Espo');
    expect(systems.espocrm.settings.oidcClientId).toBeNull();
    expect(await systems.publicSettings()).not.toHaveProperty('loginData');

    const again = await planOperation(systems.context(), 'disable', { purge: true });
    expect(again.changes).toEqual([]);
  });
});
