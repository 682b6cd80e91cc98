import { parseVersion } from '../../src/authentik/version';
import { type AuthentikPort } from '../../src/authentik/types';
import { ALL_PERMISSIONS, AUTHENTIK_PERMISSIONS } from '../../sandbox/authentik';
import { applyPlan, planOperation, renderPlan, type Plan, type ProvisioningContext } from '../../src/provisioning';
import { APPLICATION_NAME, AUTHENTIK_VERSIONS, startSystems, type Systems, type SystemsOptions } from './harness';

let systems: Systems | undefined;

afterEach(async () => {
  await systems?.stop();
  systems = undefined;
});

async function planSetup(options: SystemsOptions, adjust?: (context: ProvisioningContext) => void): Promise<Plan> {
  systems = await startSystems(options);
  const context = systems.context();
  adjust?.(context);
  return planOperation(context, 'setup');
}

/**
 * Makes every call of the authentik client see `raw` as the server version. The fake imitates
 * only its three release lines, so an older server is imitated here, in front of the client.
 */
function reportVersion(context: ProvisioningContext, raw: string): void {
  const version = parseVersion(raw);
  if (!version) throw new Error(`invalid version ${raw}`);
  context.authentik = new Proxy(context.authentik, {
    get(target, property, receiver): unknown {
      if (property === 'getVersion') return () => Promise.resolve(version);
      return Reflect.get(target, property, receiver) as unknown;
    },
  }) as AuthentikPort;
}

function expectNothingWritten(current: Systems): void {
  expect(current.writeRequests()).toEqual([]);
  expect(current.authentik.providers()).toEqual([]);
  expect(current.authentik.applications()).toEqual([]);
  expect(current.espocrm.settings.authenticationMethod).toBe('Espo');
}

describe.each(AUTHENTIK_VERSIONS)('plan errors on authentik %s', (version) => {
  test('EC-only keys name RSA as the fix', async () => {
    const plan = await planSetup({ authentikVersion: version, keys: 'ec-only' });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.message).toContain('only EC signing keys');
    expect(plan.errors[0]?.message).toContain('RS256');
    expect(plan.errors[0]?.fix).toContain('create an RSA keypair');
  });

  test('no keys at all name RSA as the fix', async () => {
    const plan = await planSetup({ authentikVersion: version, keys: 'none' });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.message).toContain('no RSA certificate keypair');
    expect(plan.errors[0]?.fix).toContain('create an RSA keypair');
  });

  test('two-factor admin names a user without it', async () => {
    const plan = await planSetup({ authentikVersion: version, twoFactor: true });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.code).toBe('second_factor_required');
    expect(plan.errors[0]?.message).toContain('two-factor authentication');
    expect(plan.errors[0]?.fix).toContain('without two-factor authentication');
  });

  test('non-admin user names the admin type', async () => {
    const plan = await planSetup({ authentikVersion: version, userType: 'regular' });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.code).toBe('not_admin');
    expect(plan.errors[0]?.message).toContain('is of type "regular"');
    expect(plan.errors[0]?.fix).toContain('Administrator');
  });

  test('lock-out options name both options', async () => {
    const plan = await planSetup({
      authentikVersion: version,
      options: { fallbackLogin: false, allowAdminOidcLogin: false },
    });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.code).toBe('plan_invalid');
    expect(plan.errors[0]?.message).toContain('no administrator could sign in');
    expect(plan.errors[0]?.fix).toContain('options.fallbackLogin or options.allowAdminOidcLogin');
  });

  test('missing permissions are the only errors', async () => {
    const withheld: string[] = [AUTHENTIK_PERMISSIONS.viewFlow, AUTHENTIK_PERMISSIONS.viewKeypair, AUTHENTIK_PERMISSIONS.viewScopeMapping];
    const plan = await planSetup({ authentikVersion: version }, () => {
      systems?.authentik.setPermissions(new Set(ALL_PERMISSIONS.filter((permission) => !withheld.includes(permission))));
    });
    expect(plan.errors.map((issue) => issue.code)).toEqual(['forbidden', 'forbidden', 'forbidden', 'forbidden']);
    for (const permission of withheld) {
      expect(plan.errors.some((issue) => issue.message.includes(permission) && issue.fix.includes(permission))).toBe(true);
    }
  });

  test('failed team list is the only error', async () => {
    const plan = await planSetup({ authentikVersion: version, teams: ['Sales'], options: { teams: { Sales: 'sales' } } }, () => {
      systems?.espocrm.server.injectFault({ method: 'GET', path: '/api/v1/Team', sequence: [404] });
    });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.message).not.toContain('no team named');
  });

  test('rendered errors end with one period', async () => {
    const plan = await planSetup({ authentikVersion: version, twoFactor: true });
    const text = renderPlan(plan).join('\n');
    expect(text).toContain('Fix: Use a dedicated admin user without two-factor authentication for espo-sso.');
    expect(text).not.toContain('..');
  });

  test('provider of another application is an error', async () => {
    const plan = await planSetup({ authentikVersion: version }, () => {
      const provider = systems?.authentik.addProvider({ name: APPLICATION_NAME });
      systems?.authentik.addApplication({ name: 'Other', slug: 'other', provider: provider?.pk ?? null });
    });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.message).toContain('already serves application other');
    expect(plan.errors[0]?.fix).toContain('change application.name of instance acme');
  });

  test('siteUrl differing from url is an error', async () => {
    const plan = await planSetup({ authentikVersion: version, siteUrlSuffix: '/crm' });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.message).toContain('/crm/oauth-callback.php');
    expect(plan.errors[0]?.fix).toContain('make siteUrl in EspoCRM and url of instance acme the same URL');
  });

  test('duplicate team names are an error', async () => {
    const plan = await planSetup({ authentikVersion: version, teams: ['Sales', 'Sales'], options: { teams: { Sales: 'sales' } } });
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]?.message).toContain('2 teams named "Sales"');
    expect(plan.errors[0]?.fix).toContain('rename the duplicate teams');
  });

  test('unknown team is an error', async () => {
    const plan = await planSetup({ authentikVersion: version, options: { teams: { Sales: 'sales' } } });
    expect(plan.errors.map((issue) => issue.message)).toEqual(['EspoCRM has no team named "Sales".']);
  });

  test('fallback login off warns about later runs', async () => {
    const plan = await planSetup({ authentikVersion: version, options: { fallbackLogin: false, allowAdminOidcLogin: true } });
    expect(plan.errors).toEqual([]);
    expect(plan.warnings.join(' ')).toContain('status, rotate and disable runs fail');
    if (!systems) throw new Error('not started');
    expect((await applyPlan(systems.context(), plan)).ok).toBe(true);

    // This is what the warning is about: EspoCRM now rejects the bot's password.
    const disable = await planOperation(systems.context(), 'disable');
    expect(disable.errors.map((issue) => issue.code)).toEqual(['unauthorized']);
    expect(disable.errors[0]?.fix).toContain('oidcFallback');
  });

  test('plan errors stop the apply', async () => {
    const plan = await planSetup({ authentikVersion: version, keys: 'ec-only' });
    if (!systems) throw new Error('not started');
    const result = await applyPlan(systems.context(), plan);
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('plan_invalid');
    expect(result.error?.message).toContain('only EC signing keys');
    expect(result.error?.hint).toContain('create an RSA keypair');
    expectNothingWritten(systems);
  });
});

describe('unsupported authentik version', () => {
  test('is the only plan error', async () => {
    const plan = await planSetup({ authentikVersion: '2024.10.3' }, (context) => reportVersion(context, '2024.8.0'));
    expect(plan.errors.map((issue) => issue.code)).toEqual(['unsupported_version']);
    expect(plan.errors[0]?.message).toContain('authentik 2024.8.0 is not supported');
    expect(plan.errors[0]?.fix).toContain('upgrade authentik to 2024.10.3');
    expect(plan.summary.authentikVersion).toBe('2024.8.0');
  });

  test('sends no authentik request after the version', async () => {
    await planSetup({ authentikVersion: '2024.10.3' }, (context) => reportVersion(context, '2024.8.0'));
    if (!systems) throw new Error('not started');
    expect(systems.authentik.server.requests).toEqual([]);
  });

  test('stops the apply', async () => {
    const plan = await planSetup({ authentikVersion: '2024.10.3' }, (context) => reportVersion(context, '2024.8.0'));
    if (!systems) throw new Error('not started');
    const context = systems.context();
    reportVersion(context, '2024.8.0');
    const result = await applyPlan(context, plan);
    expect(result.error?.code).toBe('plan_invalid');
    expect(result.error?.message).toContain('2024.8.0');
    expectNothingWritten(systems);
  });
});
