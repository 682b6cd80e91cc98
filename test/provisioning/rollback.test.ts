import { applyPlan, planOperation } from '../../src/provisioning';
import { ALL_PAIRS, APPLICATION_NAME, AUTHENTIK_VERSIONS, SLUG, startSystems, type Systems } from './harness';

let systems: Systems | undefined;

afterEach(async () => {
  await systems?.stop();
  systems = undefined;
});

describe.each(ALL_PAIRS)('EspoCRM failure on authentik %s with EspoCRM %s', (version, mode) => {
  test.each([500, 400])('PUT answering %s undoes authentik', async (status) => {
    systems = await startSystems({ authentikVersion: version, espoMode: mode });
    const settingsBefore = systems.espocrm.settings;
    const plan = await planOperation(systems.context(), 'setup');
    expect(plan.errors).toEqual([]);

    // Only the first settings write fails, so the rollback's own write goes through.
    systems.espocrm.server.injectFault({ method: 'PUT', path: '/api/v1/Settings', sequence: [status] });
    const result = await applyPlan(systems.context(), plan);

    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe(status === 500 ? 'upstream_unavailable' : 'upstream_rejected');
    expect(systems.authentik.providers()).toEqual([]);
    expect(systems.authentik.applications()).toEqual([]);
    expect(result.undone).toEqual([
      'restored the previous EspoCRM settings',
      `deleted application ${SLUG}`,
      `deleted provider "${APPLICATION_NAME}" (pk 1)`,
    ]);
    expect(result.leftBehind).toEqual([]);
    expect(systems.espocrm.settings.authenticationMethod).toBe(settingsBefore.authenticationMethod);
    expect(systems.espocrm.settings).not.toHaveProperty('oidcClientSecret');
  });

  test('failure after the settings write undoes it', async () => {
    systems = await startSystems({ authentikVersion: version, espoMode: mode, espoTimeoutSeconds: 1 });
    const plan = await planOperation(systems.context(), 'setup');
    // EspoCRM stores the settings but its answer comes after the client's timeout, so the run
    // fails with the written settings stored.
    systems.espocrm.server.injectFault({ method: 'PUT', path: '/api/v1/Settings', sequence: [{ respondAfterMs: 1500 }] });

    const result = await applyPlan(systems.context(), plan);

    expect(result.ok).toBe(false);
    expect(result.leftBehind).toEqual([]);
    expect(systems.authentik.providers()).toEqual([]);
    expect(systems.authentik.applications()).toEqual([]);
    expect(systems.espocrm.settings.authenticationMethod).toBe('Espo');
    expect(await systems.publicSettings()).not.toHaveProperty('loginData');
  });

  test('failed rollback step is left behind', async () => {
    systems = await startSystems({ authentikVersion: version, espoMode: mode });
    const plan = await planOperation(systems.context(), 'setup');
    systems.espocrm.server.injectFault({ method: 'PUT', path: '/api/v1/Settings', sequence: [400] });
    systems.authentik.server.injectFault({ method: 'DELETE', path: '/api/v3/core/applications/', sequence: [403] });

    const result = await applyPlan(systems.context(), plan);

    expect(result.ok).toBe(false);
    expect(result.undone).toEqual(['restored the previous EspoCRM settings', `deleted provider "${APPLICATION_NAME}" (pk 1)`]);
    expect(result.leftBehind).toHaveLength(1);
    expect(result.leftBehind[0]).toMatch(new RegExp(`^application ${SLUG} still exists: .*403`));
  });
});

describe.each(AUTHENTIK_VERSIONS)('rollback of an existing provider on authentik %s', (version) => {
  test('restores an updated provider', async () => {
    systems = await startSystems({ authentikVersion: version });
    const first = await planOperation(systems.context(), 'setup');
    expect((await applyPlan(systems.context(), first)).ok).toBe(true);
    const providersBefore = systems.authentik.providers();
    const settingsBefore = systems.espocrm.settings;

    // A new configuration changes the provider's scopes and an EspoCRM option.
    systems.reconfigure({ authentik: { scopes: ['openid', 'email'] }, options: { createUsers: false } });
    const plan = await planOperation(systems.context(), 'setup');
    expect(plan.summary).toMatchObject({ provider: 'update', espocrm: 'update' });
    systems.espocrm.server.injectFault({ method: 'PUT', path: '/api/v1/Settings', sequence: [400] });
    const result = await applyPlan(systems.context(), plan);

    expect(result.ok).toBe(false);
    expect(result.undone).toEqual([
      'restored the previous EspoCRM settings',
      `restored provider "${APPLICATION_NAME}" (propertyMappings)`,
    ]);
    expect(result.leftBehind).toEqual([]);
    expect(systems.authentik.providers()).toEqual(providersBefore);
    expect(systems.espocrm.settings).toEqual(settingsBefore);
  });

  test('lists what an adopted provider keeps', async () => {
    systems = await startSystems({ authentikVersion: version });
    systems.authentik.addProvider({ name: APPLICATION_NAME });
    const [orphan] = systems.authentik.providers();
    const plan = await planOperation(systems.context(), 'setup');
    systems.espocrm.server.injectFault({ method: 'PUT', path: '/api/v1/Settings', sequence: [400] });
    const result = await applyPlan(systems.context(), plan);

    expect(result.ok).toBe(false);
    expect(result.leftBehind).toEqual([
      `provider "${APPLICATION_NAME}" keeps the new redirect_uris, signing_key: the authentik client cannot set their previous values back`,
    ]);
    const [provider] = systems.authentik.providers();
    expect({ ...provider, redirect_uris: [], signing_key: null }).toEqual(orphan);
    expect(systems.authentik.applications()).toEqual([]);
  });
});
