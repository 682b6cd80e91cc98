import { type BotHandle } from '../../src/runtime/bot';
import { ACTION } from '../../src/slack/ids';
import { type FaultWorld, SANDBOX, SLACK_ACK_DEADLINE_MS } from './harness';
import { provisionedObjects, ssoInvariantViolations, ssoWorks } from './invariant';
import { PrivateRedis, stopAllProcesses } from './processes';
import { ROUTE, WorldRegistry } from './scenario';
import { sleep, timed, waitFor } from './wait';

/**
 * Redis outages, on a private redis-server per test (no persistence, so a stopped server comes
 * back empty). "Stopped" kills the server, so connections are refused; "frozen" stops it with
 * SIGSTOP, so connections hang and the data stays, until SIGCONT.
 * While Redis is away, a slash command must still get HTTP 200 within Slack's 3 s deadline with a
 * "temporarily unavailable" text. When it returns, queued and running work must go on, and
 * `stop()` must return in bounded time either way.
 */

jest.setTimeout(60_000);

const UNAVAILABLE = /temporarily unavailable/;
const registry = new WorldRegistry();
const servers: PrivateRedis[] = [];

afterAll(async () => {
  // Bots left running close at once when Redis responds, instead of waiting for their deadlines.
  for (const server of servers) await server.ensureRunning();
  await registry.stopAll();
  await stopAllProcesses();
});

async function newWorld(): Promise<{ world: FaultWorld; redis: PrivateRedis }> {
  const redis = await PrivateRedis.start();
  servers.push(redis);
  const world = await registry.start({ redisUrl: redis.url, worker: { shutdownTimeoutSeconds: 2 } });
  return { world, redis };
}

/** Sends each command and returns a line for each response that came late, with another status or without the unavailable text. */
async function unavailableAnswers(world: FaultWorld, bot: BotHandle, texts: readonly string[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const text of texts) {
    const answer = await world.command(bot.url, text, SANDBOX.requesterId);
    if (answer.response.status !== 200 || answer.ms >= SLACK_ACK_DEADLINE_MS || !UNAVAILABLE.test(answer.text)) {
      wrong.push(`${text}: HTTP ${answer.response.status} after ${answer.ms} ms: "${answer.text}"`);
    }
  }
  return wrong;
}

const COMMANDS = ['setup demo', 'status demo', 'list', 'rotate demo', 'disable demo'];

describe('Redis stopped', () => {
  test('commands answer unavailable in time', async () => {
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    await redis.stop();

    expect(await unavailableAnswers(world, bot, COMMANDS)).toEqual([]);
    const help = await world.command(bot.url, 'help');
    expect(help.response.status).toBe(200);
    expect(help.text).toMatch(/rolls out authentik single sign-on/);
    expect(provisionedObjects(world.world)).toEqual({ providers: 0, applications: 0 });
  });

  test('click answers unavailable in time', async () => {
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    const pending = await world.requestPending(bot.url, 'setup');
    await redis.stop();

    const click = await world.click(bot.url, pending, ACTION.approve, SANDBOX.approverId);
    expect(click.response.status).toBe(200);
    expect(click.ms).toBeLessThan(SLACK_ACK_DEADLINE_MS);
    expect(await world.responseText(click.responseUrlId)).toMatch(UNAVAILABLE);
    expect(provisionedObjects(world.world)).toEqual({ providers: 0, applications: 0 });
  });

  test('bot recovers when Redis returns', async () => {
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    await redis.stop();
    expect(await unavailableAnswers(world, bot, ['setup demo'])).toEqual([]);

    await redis.restart();
    await waitFor('the bot to be ready again', async () => ((await bot.ready()).ok ? true : undefined), 15_000, 100);
    const finished = await world.runApproved(bot.url, 'setup');
    expect(finished.state).toBe('succeeded');
    expect(ssoWorks(world.world)).toBe(true);
  });

  test('stop returns while Redis is stopped', async () => {
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    await redis.stop();

    const { ms } = await timed(bot.stop());
    // Deadlines in stop(): 5 s for the receiver, shutdownTimeoutSeconds (2 s) and 2 s for the worker, 2 s for the queue, 1 s per connection.
    expect(ms).toBeLessThan(13_000);
  });

  test('stop returns with an apply running', async () => {
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    const pending = await world.requestPending(bot.url, 'setup');
    world.authentik.server.slowDown({ method: 'POST', path: ROUTE.providers }, 5000);
    await world.click(bot.url, pending, ACTION.approve, SANDBOX.approverId);
    await waitFor('the apply to create the provider', () => (world.authentik.server.requestsTo('POST', ROUTE.providers).length > 0 ? true : undefined));
    await redis.stop();

    const { ms, value } = await timed(bot.stop());
    expect(ms).toBeLessThan(13_000);
    expect(value.timedOut).toBe(true);
  });
});

describe('Redis frozen', () => {
  test('commands answer unavailable in time', async () => {
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    redis.freeze();
    try {
      expect(await unavailableAnswers(world, bot, COMMANDS)).toEqual([]);
    } finally {
      redis.thaw();
    }
    expect(provisionedObjects(world.world)).toEqual({ providers: 0, applications: 0 });
  });

  test('refused command leaves the instance free', async () => {
    // A command that timed out on the bot's side may still run once Redis responds again.
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    redis.freeze();
    try {
      expect(await unavailableAnswers(world, bot, ['setup demo'])).toEqual([]);
    } finally {
      redis.thaw();
    }
    await sleep(500);

    const again = await world.command(bot.url, 'setup demo');
    expect(again.text).toMatch(/Planning setup/);
  });

  test('running apply resumes when Redis returns', async () => {
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    const pending = await world.requestPending(bot.url, 'setup');
    world.authentik.server.slowDown({ method: 'POST', path: ROUTE.providers }, 1500);
    await world.click(bot.url, pending, ACTION.approve, SANDBOX.approverId);
    await waitFor('the apply to create the provider', () => (world.authentik.server.requestsTo('POST', ROUTE.providers).length > 0 ? true : undefined));

    redis.freeze();
    await sleep(4000);
    redis.thaw();

    const finished = await world.waitForTerminal(pending.id, 30_000);
    expect(finished.state).toBe('succeeded');
    expect(await world.resultReply(finished)).toMatch(/setup demo: done/);
    expect(provisionedObjects(world.world)).toEqual({ providers: 1, applications: 1 });
    expect(ssoInvariantViolations(world.world)).toEqual([]);
  });

  test('queued plan runs when Redis returns', async () => {
    const { world, redis } = await newWorld();
    const web = await world.startBot('web');
    const answer = await world.command(web.url, 'setup demo');
    expect(answer.text).toMatch(/Planning setup/);

    redis.freeze();
    // The worker starts while Redis does not answer, so it cannot take the queued plan job yet.
    const worker = await world.startBot('worker', { waitUntilReady: false });
    await sleep(2000);
    expect(world.slack.messages(SANDBOX.channelId)).toHaveLength(0);
    redis.thaw();

    await waitFor('the plan to be posted', async () => ((await world.holder())?.state === 'pending' ? true : undefined), 20_000, 100);
    expect((await worker.ready()).ok).toBe(true);
  });

  test('stop returns while Redis is frozen', async () => {
    const { world, redis } = await newWorld();
    const bot = await world.startBot('serve');
    redis.freeze();
    try {
      const { ms } = await timed(bot.stop());
      expect(ms).toBeLessThan(13_000);
    } finally {
      redis.thaw();
    }
  });
});

test('every CRM uses a client authentik holds', async () => {
  expect(registry.invariantViolations()).toEqual([]);
});

test('no secret in Slack, logs or Redis', async () => {
  expect(await registry.leaks()).toEqual([]);
});
