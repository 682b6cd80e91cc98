import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { stringify } from 'yaml';

import { runCli } from '../../src/cli/main';
import { type Plan, type ApplyResult } from '../../src/provisioning';
import {
  AUTHENTIK_TOKEN,
  AUTHENTIK_VERSIONS,
  ENV,
  ESPO_PASSWORD,
  INSTANCE,
  secretForms,
  startSystems,
  type Systems,
  type SystemsOptions,
} from './harness';

let systems: Systems | undefined;
let directory: string | undefined;

afterEach(async () => {
  await systems?.stop();
  systems = undefined;
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Starts the fakes and writes their configuration to a temporary YAML file. */
async function startWithConfigFile(options: SystemsOptions = {}): Promise<Systems> {
  const current = await startSystems(options);
  directory = mkdtempSync(path.join(tmpdir(), 'espo-sso-cli-'));
  writeFileSync(path.join(directory, 'espo-sso.yml'), stringify(current.rawConfig()));
  return current;
}

async function cli(...argv: string[]): Promise<Run> {
  if (!directory) throw new Error('no configuration file');
  const out: string[] = [];
  const err: string[] = [];
  // LOG_LEVEL error keeps the CLI's log lines, which go to file descriptor 2, out of the test output.
  const env = { ...ENV, ESPO_SSO_CONFIG: path.join(directory, 'espo-sso.yml'), LOG_LEVEL: 'error' };
  const code = await runCli(argv, env, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.each(AUTHENTIK_VERSIONS)('CLI against authentik %s', (version) => {
  test('plan, apply --yes, plan again', async () => {
    systems = await startWithConfigFile({ authentikVersion: version });

    const plan = await cli('plan', INSTANCE);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('authentik provider "EspoCRM (acme)": create');
    expect(plan.out).toMatch(/authenticationMethod: Espo \S+ Oidc/);
    expect(systems.writeRequests()).toEqual([]);

    systems.clearRequests();
    const apply = await cli('apply', INSTANCE, '--yes');
    expect(apply.err).not.toContain('failed');
    expect(apply.code).toBe(0);
    expect(apply.out).toContain('setup acme: done.');
    expect(systems.authentik.providers()).toHaveLength(1);
    expect(systems.espocrm.settings.authenticationMethod).toBe('Oidc');
    // One password sign-in per run, and its token is revoked at the end.
    expect(systems.espocrm.server.requestsTo('GET', '/api/v1/App/user')).toHaveLength(1);
    expect(systems.espocrm.authTokens.filter((token) => token.active)).toEqual([]);

    const again = await cli('plan', INSTANCE);
    expect(again.code).toBe(0);
    expect(again.out).toContain('No changes.');
  });
});

describe('CLI exit codes', () => {
  test('apply without --yes is a usage error', async () => {
    systems = await startWithConfigFile();
    const run = await cli('apply', INSTANCE);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--yes');
    expect(systems.requests()).toEqual([]);
  });

  test.each([
    [['plan']],
    [['plan', INSTANCE, 'other']],
    [['apply', INSTANCE, '--yes', '--purge']],
    [['plan', INSTANCE, '--force']],
  ])('%j is a usage error', async (argv) => {
    systems = await startWithConfigFile();
    const run = await cli(...argv);
    expect(run.code).toBe(2);
    expect(run.err).toContain('Usage: espo-sso');
  });

  test('plan errors exit with 3 and change nothing', async () => {
    systems = await startWithConfigFile({ options: { fallbackLogin: false, allowAdminOidcLogin: false } });

    const plan = await cli('plan', INSTANCE);
    expect(plan.code).toBe(3);
    expect(plan.out).toContain('no administrator could sign in');
    expect(plan.out).toContain('Fix: set options.fallbackLogin or options.allowAdminOidcLogin');

    const apply = await cli('apply', INSTANCE, '--yes');
    expect(apply.code).toBe(3);
    expect(systems.writeRequests()).toEqual([]);
  });

  test('unknown instance exits with 1', async () => {
    systems = await startWithConfigFile();
    const run = await cli('plan', 'nope');
    expect(run.code).toBe(1);
    expect(run.err).toContain('No instance named "nope"');
    expect(run.err).toContain('Known instances: acme.');
  });

  test('EspoCRM failure exits with 1 and lists the rollback', async () => {
    systems = await startWithConfigFile();
    systems.espocrm.server.injectFault({ method: 'PUT', path: '/api/v1/Settings', sequence: [500] });
    const run = await cli('apply', INSTANCE, '--yes');
    expect(run.code).toBe(1);
    expect(run.out).toContain('setup acme: failed.');
    expect(run.out).toContain('undone: restored the previous EspoCRM settings; deleted application espocrm-acme; deleted provider');
    expect(systems.authentik.providers()).toEqual([]);
  });

  test('status, rotate and disable --purge succeed', async () => {
    systems = await startWithConfigFile();
    expect((await cli('apply', INSTANCE, '--yes')).code).toBe(0);
    const secret = systems.authentik.providers()[0]?.client_secret;

    const status = await cli('status', INSTANCE);
    expect(status.code).toBe(0);
    expect(status.out).toContain('single sign-on: on');
    expect(status.out).toContain('matches the configuration');

    const rotate = await cli('rotate', INSTANCE, '--yes');
    expect(rotate.code).toBe(0);
    const rotated = systems.authentik.providers()[0]?.client_secret;
    expect(rotated).not.toBe(secret);
    expect(systems.espocrm.settings.oidcClientSecret).toBe(rotated);

    const disable = await cli('disable', INSTANCE, '--yes', '--purge');
    expect(disable.code).toBe(0);
    expect(systems.authentik.providers()).toEqual([]);
    expect(systems.espocrm.settings.authenticationMethod).toBe('Espo');
  });

  test('output holds no secret', async () => {
    systems = await startWithConfigFile();
    const runs = [await cli('apply', INSTANCE, '--yes'), await cli('rotate', INSTANCE, '--yes', '--json')];
    const text = runs.map((run) => `${run.out}\n${run.err}`).join('\n');
    const secrets = [AUTHENTIK_TOKEN, ESPO_PASSWORD, ...(systems.authentik.providers().map((provider) => provider.client_secret))];
    for (const secret of secrets.flatMap(secretForms)) expect(text.includes(secret)).toBe(false);
  });
});

describe('CLI --json', () => {
  test('plan output parses', async () => {
    systems = await startWithConfigFile();
    const run = await cli('plan', INSTANCE, '--json');
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.out) as { plan: Plan };
    expect(parsed.plan.operation).toBe('setup');
    expect(parsed.plan.errors).toEqual([]);
    expect(parsed.plan.changes.length).toBeGreaterThan(0);
  });

  test('apply output parses', async () => {
    systems = await startWithConfigFile();
    const run = await cli('apply', INSTANCE, '--yes', '--json');
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.out) as { plan: Plan; result: ApplyResult };
    expect(parsed.result.ok).toBe(true);
    expect(parsed.result.clientId).toBe(systems.authentik.providers()[0]?.client_id);
    expect(parsed.result.checks.every((check) => check.ok)).toBe(true);
  });

  test('plan errors parse with exit 3', async () => {
    systems = await startWithConfigFile({ keys: 'ec-only' });
    const run = await cli('apply', INSTANCE, '--yes', '--json');
    expect(run.code).toBe(3);
    const parsed = JSON.parse(run.out) as { plan: Plan };
    expect(parsed.plan.errors[0]?.fix).toContain('RSA');
  });

  test('failure parses with exit 1', async () => {
    systems = await startWithConfigFile();
    const run = await cli('plan', 'nope', '--json');
    expect(run.code).toBe(1);
    const parsed = JSON.parse(run.out) as { error: { code: string; message: string } };
    expect(parsed.error.code).toBe('not_found');
  });
});
