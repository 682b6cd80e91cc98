import { applyPlan, planOperation } from '../../src/provisioning';
import { APPLICATION_NAME, AUTHENTIK_VERSIONS, startSystems, type Systems } from './harness';

let systems: Systems | undefined;

afterEach(async () => {
  await systems?.stop();
  systems = undefined;
});

describe.each(AUTHENTIK_VERSIONS)('drift on authentik %s', (version) => {
  test('provider edited before rotate stops the apply', async () => {
    systems = await startSystems({ authentikVersion: version });
    const setup = await planOperation(systems.context(), 'setup');
    expect((await applyPlan(systems.context(), setup)).ok).toBe(true);
    const plan = await planOperation(systems.context(), 'rotate');

    const [provider] = systems.authentik.providers();
    if (!provider) throw new Error('no provider');
    await systems.patchProvider(provider.pk, { redirect_uris: [{ matching_mode: 'strict', url: 'https://crm.example.org/oauth-callback.php' }] });
    const providersBefore = systems.authentik.providers();
    const settingsBefore = systems.espocrm.settings;
    systems.clearRequests();

    const result = await applyPlan(systems.context(), plan);

    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('drift');
    expect(result.error?.hint).toContain('fresh plan');
    expect(result.freshPlan).toBeDefined();
    expect(result.freshPlan?.fingerprint).not.toBe(plan.fingerprint);
    expect(systems.writeRequests()).toEqual([]);
    expect(systems.authentik.providers()).toEqual(providersBefore);
    expect(systems.espocrm.settings).toEqual(settingsBefore);
  });

  test('orphan added before setup stops the apply', async () => {
    systems = await startSystems({ authentikVersion: version });
    const plan = await planOperation(systems.context(), 'setup');
    expect(plan.summary.provider).toBe('create');
    systems.authentik.addProvider({ name: APPLICATION_NAME });
    systems.clearRequests();

    const result = await applyPlan(systems.context(), plan);

    expect(result.error?.code).toBe('drift');
    expect(result.freshPlan?.summary.provider).toBe('adopt');
    expect(systems.writeRequests()).toEqual([]);
    expect(systems.authentik.providers()).toHaveLength(1);
    expect(systems.authentik.applications()).toEqual([]);
  });

  test('configuration edited after the plan stops the apply', async () => {
    systems = await startSystems({ authentikVersion: version });
    const plan = await planOperation(systems.context(), 'setup');
    // The approved plan turns user creation on; the edited configuration would leave it off.
    systems.reconfigure({ options: { createUsers: false } });
    systems.clearRequests();

    const result = await applyPlan(systems.context(), plan);

    expect(result.error?.code).toBe('drift');
    expect(result.error?.message).toContain('configuration of instance acme changed');
    expect(result.freshPlan?.changes.some((change) => change.field === 'oidcCreateUser')).toBe(false);
    expect(systems.writeRequests()).toEqual([]);
    expect(systems.authentik.providers()).toEqual([]);
  });

  test('EspoCRM setting edited before setup stops the apply', async () => {
    systems = await startSystems({ authentikVersion: version });
    const plan = await planOperation(systems.context(), 'setup');
    systems.espocrm.setSettings({ oidcScopes: ['profile'] });
    systems.clearRequests();

    const result = await applyPlan(systems.context(), plan);

    expect(result.error?.code).toBe('drift');
    expect(result.freshPlan?.changes.find((change) => change.field === 'oidcScopes')?.current).toBe('["profile"]');
    expect(systems.writeRequests()).toEqual([]);
    expect(systems.authentik.providers()).toEqual([]);
  });
});

describe.each(AUTHENTIK_VERSIONS)('resumed apply on authentik %s', (version) => {
  test('finishes the work of a dead attempt', async () => {
    systems = await startSystems({ authentikVersion: version });
    const plan = await planOperation(systems.context(), 'setup');

    // The first attempt stops for good after it created the application, as a worker that died.
    let stopped: () => void = () => undefined;
    const reachedStop = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    void applyPlan(systems.context(), plan, {
      onProgress: (event) => {
        if (event.step !== 'Create authentik application' || event.status !== 'done') return undefined;
        stopped();
        return new Promise<void>(() => undefined);
      },
    });
    await reachedStop;
    expect(systems.authentik.applications()).toHaveLength(1);
    expect(systems.espocrm.settings.authenticationMethod).toBe('Espo');

    const withoutResume = await applyPlan(systems.context(), plan);
    expect(withoutResume.error?.code).toBe('drift');

    const result = await applyPlan(systems.context(), plan, { resume: true });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const providers = systems.authentik.providers();
    expect(providers).toHaveLength(1);
    expect(systems.authentik.applications()).toHaveLength(1);
    expect(systems.espocrm.settings.oidcClientId).toBe(providers[0]?.client_id);
    expect(systems.espocrm.settings.oidcClientSecret).toBe(providers[0]?.client_secret);
  });

  test('refuses changes the plan did not approve', async () => {
    systems = await startSystems({ authentikVersion: version });
    const plan = await planOperation(systems.context(), 'setup');
    // Someone turned on user sync, so the fresh plan turns it off, a change the plan did not contain.
    systems.espocrm.setSettings({ oidcSync: true });
    systems.clearRequests();

    const result = await applyPlan(systems.context(), plan, { resume: true });
    expect(result.error?.code).toBe('drift');
    expect(result.freshPlan?.changes.find((change) => change.field === 'oidcSync')?.next).toBe('false');
    expect(systems.writeRequests()).toEqual([]);
  });

  test('refuses an edited configuration', async () => {
    systems = await startSystems({ authentikVersion: version });
    const plan = await planOperation(systems.context(), 'setup');
    systems.reconfigure({ options: { createUsers: false } });
    systems.clearRequests();

    const result = await applyPlan(systems.context(), plan, { resume: true });
    expect(result.error?.code).toBe('drift');
    expect(systems.writeRequests()).toEqual([]);
  });
});
