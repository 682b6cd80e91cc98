import { type DemoRedis, obtainRedis } from '../../demo/redis';
import { type FaultWorld } from './harness';
import { type RequestRecord } from '../../src/jobs/request-store';
import { type BotHandle } from '../../src/runtime/bot';
import { InvariantMonitor, provisionedObjects, ssoInvariantViolations, ssoWorks } from './invariant';
import { ROUTE, WorldRegistry, gaps, isResultPost, runWithFaults, statuses } from './scenario';

/**
 * Transient upstream faults during an approved setup: 5xx responses, a connection reset, a call
 * that never gets a response, and slow responses, on authentik's and EspoCRM's routes. A job attempt
 * that fails on one of these rolls back what it created and throws a retryable error, so BullMQ
 * retries it with exponential backoff (2 s, then 4 s, ...) and the next attempt completes.
 * Every test ends with the same checks: the request succeeded, one provider and one application
 * exist, and EspoCRM's client id and secret are authentik's.
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

async function newWorld(options: { callTimeoutSeconds?: number; latencyMs?: number } = {}): Promise<FaultWorld> {
  return registry.start({ redisUrl: redis.url, ...options });
}

/** Runs a setup and samples the invariant all along. `windows` lists every violation seen at any moment. */
async function monitoredSetup(world: FaultWorld, bot: BotHandle, inject: () => void): Promise<{ finished: RequestRecord; windows: string[] }> {
  const monitor = new InvariantMonitor(world.world);
  try {
    const finished = await runWithFaults(world, bot, 'setup', inject);
    return { finished, windows: monitor.stop() };
  } finally {
    monitor.stop();
  }
}

/** Checks the end of a transient-fault run. */
async function expectCompleted(world: FaultWorld, run: { finished: RequestRecord; windows: string[] }): Promise<void> {
  const { finished } = run;
  expect(run.windows).toEqual([]);
  expect(finished.state).toBe('succeeded');
  expect(await world.resultReply(finished)).toMatch(/setup demo: done/);
  expect(world.resultReplies(finished)).toHaveLength(1);
  expect(provisionedObjects(world.world)).toEqual({ providers: 1, applications: 1 });
  expect(ssoInvariantViolations(world.world)).toEqual([]);
  expect(ssoWorks(world.world)).toBe(true);
}

describe('transient authentik faults', () => {
  test('provider create 503 twice is retried with backoff', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.authentik.server.injectFault({ method: 'POST', path: ROUTE.providers, sequence: [503, 503] });
    });

    const creates = world.authentik.server.requestsTo('POST', ROUTE.providers);
    expect(statuses(creates)).toEqual([503, 503, 201]);
    const [firstGap, secondGap] = gaps(creates);
    expect(firstGap).toBeGreaterThanOrEqual(1900);
    expect(secondGap).toBeGreaterThanOrEqual(3900);
    await expectCompleted(world, run);
  });

  test('application create reset rolls back the provider and retries', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.authentik.server.injectFault({ method: 'POST', path: ROUTE.applications, sequence: ['reset'] });
    });

    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.applications))).toEqual([0, 201]);
    // The first attempt's provider was deleted by its rollback, the second attempt made a new one.
    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.providers))).toEqual([201, 201]);
    expect(statuses(world.authentik.server.requestsTo('DELETE', ROUTE.provider))).toEqual([204]);
    await expectCompleted(world, run);
  });

  test('provider lookup timeout during the apply is retried', async () => {
    const world = await newWorld({ callTimeoutSeconds: 2 });
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.authentik.server.injectFault({ method: 'GET', path: ROUTE.providers, sequence: ['timeout'] });
    });

    expect(statuses(world.authentik.server.requestsTo('GET', ROUTE.providers))).toContain(0);
    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.providers))).toEqual([201]);
    await expectCompleted(world, run);
  });

  test('provider create answered too late leaves no orphan', async () => {
    // authentik stores the provider, but its response comes after the bot's 2 s timeout, so the
    // attempt has nothing to roll back. The next attempt finds the provider by name and adopts it.
    const world = await newWorld({ callTimeoutSeconds: 2 });
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.authentik.server.injectFault({ method: 'POST', path: ROUTE.providers, sequence: [{ respondAfterMs: 3000 }] });
    });

    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.providers))).toEqual([201]);
    await expectCompleted(world, run);
  });

  test('application create answered too late is adopted', async () => {
    const world = await newWorld({ callTimeoutSeconds: 2 });
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.authentik.server.injectFault({ method: 'POST', path: ROUTE.applications, sequence: [{ respondAfterMs: 3000 }] });
    });

    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.applications))[0]).toBe(201);
    await expectCompleted(world, run);
  });

  test('authentik outage of a few seconds is outlasted', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.authentik.server.failAlways({ path: '/api/v3/' }, 503);
      setTimeout(() => world.authentik.server.clearFaults(), 2500);
    });

    expect(world.authentik.server.requests.some((request) => request.status === 503)).toBe(true);
    await expectCompleted(world, run);
  });
});

describe('transient EspoCRM faults', () => {
  test('settings write 503 rolls back and retries', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [503] });
    });

    // PUTs: the faulted write, the rollback's restore, and the second attempt's write.
    expect(statuses(world.espocrm().server.requestsTo('PUT', ROUTE.espoSettings))).toEqual([503, 200, 200]);
    expect(statuses(world.authentik.server.requestsTo('DELETE', ROUTE.provider))).toEqual([204]);
    await expectCompleted(world, run);
  });

  test('settings write reset rolls back and retries', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: ['reset'] });
    });

    expect(statuses(world.espocrm().server.requestsTo('PUT', ROUTE.espoSettings))[0]).toBe(0);
    await expectCompleted(world, run);
  });

  test('sign-in 502 during the apply is retried', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.espocrm().server.injectFault({ method: 'GET', path: ROUTE.espoSignIn, sequence: [502] });
    });

    expect(statuses(world.espocrm().server.requestsTo('GET', ROUTE.espoSignIn))).toContain(502);
    await expectCompleted(world, run);
  });

  test('settings write without an answer times out and retries', async () => {
    const world = await newWorld({ callTimeoutSeconds: 2 });
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: ['timeout'] });
    });

    expect(statuses(world.espocrm().server.requestsTo('PUT', ROUTE.espoSettings))[0]).toBe(0);
    await expectCompleted(world, run);
  });

  test('settings write slower than the timeout is retried', async () => {
    // The fake handles this write 3 s after it arrived. By then the bot gave up at 2 s, rolled back
    // and revoked its EspoCRM session token, so the late write gets 401 and changes nothing.
    const world = await newWorld({ callTimeoutSeconds: 2 });
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [{ delayMs: 3000 }] });
    });

    expect(statuses(world.espocrm().server.requestsTo('PUT', ROUTE.espoSettings))).toEqual([401, 200, 200]);
    await expectCompleted(world, run);
  });

  test('settings write answered too late is rolled back and retried', async () => {
    // The write is stored at once, but its response comes after the bot's 2 s timeout.
    const world = await newWorld({ callTimeoutSeconds: 2 });
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.espocrm().server.injectFault({ method: 'PUT', path: ROUTE.espoSettings, sequence: [{ respondAfterMs: 3000 }] });
    });

    expect(statuses(world.espocrm().server.requestsTo('PUT', ROUTE.espoSettings))).toEqual([200, 200, 200]);
    await expectCompleted(world, run);
  });

  test('slow answers everywhere still complete', async () => {
    const world = await newWorld({ latencyMs: 150 });
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => undefined);

    expect(statuses(world.authentik.server.requestsTo('POST', ROUTE.providers))).toEqual([201]);
    await expectCompleted(world, run);
  });
});

describe('transient Slack faults', () => {
  test('failed progress updates do not stop the apply', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      // Three answers per call: the Web API client retries a 5xx twice before it gives up.
      world.slack.server.injectFault({ path: '/api/chat.update', sequence: [503, 503, 503, 503, 503, 503] });
    });

    expect(statuses(world.slack.server.requestsTo('POST', '/api/chat.update'))).toContain(503);
    await expectCompleted(world, run);
  });

  test('result reply survives a Slack outage', async () => {
    const world = await newWorld();
    const bot = await world.startBot();
    const run = await monitoredSetup(world, bot, () => {
      world.slack.server.injectFault({
        method: 'POST',
        path: ROUTE.postMessage,
        sequence: [503, 503, 503],
        when: (request) => isResultPost(request.rawBody),
      });
    });

    expect(run.finished.state).toBe('succeeded');
    expect(statuses(world.slack.server.requestsTo('POST', ROUTE.postMessage).filter((request) => isResultPost(request.rawBody)))).toEqual(
      expect.arrayContaining([503, 503, 503]),
    );
    await expectCompleted(world, run);
  });
});

test('every CRM uses a client authentik holds', async () => {
  expect(registry.invariantViolations()).toEqual([]);
});

test('no secret in Slack, logs or Redis', async () => {
  const size = await registry.scanSize();
  expect(size.secrets).toBeGreaterThan(10);
  expect(size.logLines).toBeGreaterThan(50);
  expect(await registry.leaks()).toEqual([]);
});
