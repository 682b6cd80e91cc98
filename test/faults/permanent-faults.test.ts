import { type DemoRedis, obtainRedis } from '../../demo/redis';
import { type RequestRecord } from '../../src/jobs/request-store';
import { type FaultWorld } from './harness';
import { provisionedObjects, ssoInvariantViolations, ssoWorks } from './invariant';
import { ROUTE, WorldRegistry, runWithFaults, statuses } from './scenario';

/**
 * Permanent upstream faults (400 and 403 responses, and transient faults that outlast every job
 * attempt) during setup, rotate and disable. The job must end at once with a failed result in the
 * request's thread that says what was undone, the run's own objects must be gone, and EspoCRM must
 * never be left using a client that authentik does not hold.
 */

jest.setTimeout(90_000);

let redis: DemoRedis;
const registry = new WorldRegistry();

beforeAll(async () => {
  redis = await obtainRedis(process.env);
});

afterAll(async () => {
  await registry.stopAll();
  await redis.stop();
});

async function newWorld(options: { callTimeoutSeconds?: number; worker?: Record<string, unknown> } = {}): Promise<FaultWorld> {
  return registry.start({ redisUrl: redis.url, ...options });
}

/** Checks the end of a failed setup: a failed result, nothing left in authentik, EspoCRM on its own login. */
async function expectCleanFailure(world: FaultWorld, finished: RequestRecord): Promise<string> {
  expect(finished.state).toBe('failed');
  const reply = await world.resultReply(finished);
  expect(reply).toMatch(/setup demo: failed/);
  expect(world.resultReplies(finished)).toHaveLength(1);
  expect(provisionedObjects(world.world)).toEqual({ providers: 0, applications: 0 });
  expect(world.espocrm().settings.authenticationMethod).toBe('Espo');
  expect(ssoInvariantViolations(world.world)).toEqual([]);
  return reply;
}

describe('permanent faults during setup', () => {
  test('application create 403 undoes the provider', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const finished = await runWithFaults(world, bot, 'setup', () => {
      world.authentik.server.injectFault({ method: 'POST', path: ROUTE.applications, sequence: [403] });
    });

    const reply = await expectCleanFailure(world, finished);
    expect(reply).toMatch(/Undone: deleted provider/);
    // A 403 is not retried: one provider create, one application create.
    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.providers))).toEqual([201]);
    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.applications))).toEqual([403]);
    expect(finished.result?.error?.code).toBe('forbidden');
  });

  test('provider create 400 changes nothing', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const finished = await runWithFaults(world, bot, 'setup', () => {
      world.authentik.server.injectFault({ method: 'POST', path: ROUTE.providers, sequence: [400] });
    });

    const reply = await expectCleanFailure(world, finished);
    expect(reply).toMatch(/Nothing needed to be undone/);
    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.providers))).toEqual([400]);
    expect(world.espocrm().server.requestsTo('PUT', ROUTE.espoSettings)).toHaveLength(0);
  });

  test('settings write 400 restores EspoCRM and authentik', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const before = world.espocrm().settings;
    const finished = await runWithFaults(world, bot, 'setup', () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [400] });
    });

    const reply = await expectCleanFailure(world, finished);
    expect(reply).toMatch(/restored the previous EspoCRM settings/);
    expect(reply).toMatch(/deleted application espocrm-demo/);
    expect(reply).toMatch(/deleted provider/);
    const after = world.espocrm().settings;
    expect(after.oidcClientId).toBe(before.oidcClientId ?? null);
    expect(after.oidcClientSecret).toBeUndefined();
  });

  test('settings write 403 restores EspoCRM and authentik', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const finished = await runWithFaults(world, bot, 'setup', () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [403] });
    });

    const reply = await expectCleanFailure(world, finished);
    expect(reply).toMatch(/Undone: /);
    expect(finished.result?.error?.code).toBe('forbidden');
  });

  test('503 outlasting every attempt ends with an undo', async () => {
    const world = await newWorld({ worker: { attempts: 2 } });
    const bot = await world.startBot();
    const finished = await runWithFaults(world, bot, 'setup', () => {
      world.espocrm().server.failAlways({ method: 'PUT', path: ROUTE.espoSettings, when: (request) => request.rawBody.includes('"Oidc"') }, 503);
    });

    const reply = await expectCleanFailure(world, finished);
    expect(reply).toMatch(/restored the previous EspoCRM settings/);
    // Two attempts, each with one failed write of the OIDC settings.
    expect(statuses(world.espocrm().server.requestsTo('PUT', ROUTE.espoSettings).filter((request) => request.rawBody.includes('"Oidc"')))).toEqual([503, 503]);
  });

  test('failed undo is reported as needing attention', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const finished = await runWithFaults(world, bot, 'setup', () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [400] });
      world.authentik.server.failAlways({ method: 'DELETE', path: ROUTE.provider }, 500);
    });

    expect(finished.state).toBe('failed');
    const reply = await world.resultReply(finished);
    expect(reply).toMatch(/Needs attention\*?: provider "EspoCRM \(demo\)" \(pk \d+\) still exists/);
    expect(finished.result?.leftBehind).toHaveLength(1);
    // The orphan provider is the one thing left behind; EspoCRM was restored before it.
    expect(provisionedObjects(world.world)).toEqual({ providers: 1, applications: 0 });
    expect(world.espocrm().settings.authenticationMethod).toBe('Espo');
    expect(ssoInvariantViolations(world.world)).toEqual([]);
  });
});

/** Sets up single sign-on without faults and returns the client secret it ended with. */
async function setUp(world: FaultWorld, botUrl: string): Promise<string> {
  const setup = await world.runApproved(botUrl, 'setup');
  expect(setup.state).toBe('succeeded');
  expect(ssoWorks(world.world)).toBe(true);
  return world.authentik.providers()[0]?.client_secret ?? '';
}

describe('faults during rotate and disable', () => {
  test('rotate with a rejected EspoCRM write keeps the old secret', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const oldSecret = await setUp(world, bot.url);
    const finished = await runWithFaults(world, bot, 'rotate', () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [400] });
    });

    expect(finished.state).toBe('failed');
    expect(await world.resultReply(finished)).toMatch(/restored the previous client secret/);
    expect(world.authentik.providers()[0]?.client_secret === oldSecret).toBe(true);
    expect(ssoInvariantViolations(world.world)).toEqual([]);
    expect(ssoWorks(world.world)).toBe(true);
  });

  test('rotate retries a transient EspoCRM failure', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const oldSecret = await setUp(world, bot.url);
    const finished = await runWithFaults(world, bot, 'rotate', () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [503] });
    });

    expect(finished.state).toBe('succeeded');
    expect(await world.resultReply(finished)).toMatch(/rotate demo: done/);
    expect(world.authentik.providers()[0]?.client_secret === oldSecret).toBe(false);
    expect(provisionedObjects(world.world)).toEqual({ providers: 1, applications: 1 });
    expect(ssoInvariantViolations(world.world)).toEqual([]);
  });

  test('rotate whose EspoCRM answer is lost keeps both sides equal', async () => {
    // One attempt only, so nothing repairs what this attempt leaves. EspoCRM stores the new
    // secret, but its response comes after the 2 s timeout and the run rolls authentik back.
    const world = await newWorld({ callTimeoutSeconds: 2, worker: { attempts: 1 } });
    const bot = await world.startBot();
    await setUp(world, bot.url);
    const finished = await runWithFaults(world, bot, 'rotate', () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [{ respondAfterMs: 3000 }] });
    });

    expect(finished.state).toBe('failed');
    expect(statuses(world.espocrm().server.requestsTo('PUT', ROUTE.espoSettings)).slice(-1)).toEqual([200]);
    expect(ssoInvariantViolations(world.world)).toEqual([]);
  });

  test('disable with a rejected write leaves single sign-on working', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    await setUp(world, bot.url);
    const finished = await runWithFaults(world, bot, 'disable', () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [400] });
    });

    expect(finished.state).toBe('failed');
    expect(await world.resultReply(finished)).toMatch(/disable demo: failed/);
    expect(ssoWorks(world.world)).toBe(true);
    expect(provisionedObjects(world.world)).toEqual({ providers: 1, applications: 1 });
  });
});

test('every CRM uses a client authentik holds', async () => {
  expect(registry.invariantViolations()).toEqual([]);
});

test('no secret in Slack, logs or Redis', async () => {
  const size = await registry.scanSize();
  expect(size.secrets).toBeGreaterThan(10);
  expect(await registry.leaks()).toEqual([]);
});
