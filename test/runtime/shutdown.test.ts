import { type SandboxWorld, startSandbox } from '../../sandbox/world';
import {
  BotProcess,
  PrivateRedis,
  SHARED_REDIS_URL,
  deleteKeys,
  freePort,
  httpGet,
  sendCommand,
  uniquePrefix,
  waitFor,
  writeConfigFile,
} from './helpers';

/**
 * Graceful shutdown of `node bin/espo-sso.js <role>` on SIGTERM and SIGINT: the exit code shows
 * whether every part closed before its deadline.
 */

jest.setTimeout(60_000);

/** Resolves with the exit, or rejects when the process is still running after `timeoutMs`. */
async function exitWithin(bot: BotProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${bot.role} still running ${timeoutMs} ms after the signal:\n${bot.output.join('')}`)), timeoutMs);
  });
  try {
    return await Promise.race([bot.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('shutdown', () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Starts a world, writes its configuration and starts one bot process; everything is undone in afterEach. */
  async function startBotProcess(
    role: 'serve' | 'web' | 'worker',
    options: { redisUrl?: string; shutdownTimeoutSeconds?: number } = {},
  ): Promise<{ world: SandboxWorld; bot: BotProcess }> {
    const redisUrl = options.redisUrl ?? SHARED_REDIS_URL;
    const prefix = uniquePrefix(`shutdown-${role}`);
    const world = await startSandbox({
      redisUrl,
      queuePrefix: prefix,
      ...(options.shutdownTimeoutSeconds ? { worker: { shutdownTimeoutSeconds: options.shutdownTimeoutSeconds } } : {}),
    });
    cleanups.push(() => world.stop());
    const config = writeConfigFile(world);
    cleanups.push(config.remove);
    if (redisUrl === SHARED_REDIS_URL) cleanups.push(() => deleteKeys(SHARED_REDIS_URL, prefix));
    const bot = new BotProcess(role, await freePort(), config.env);
    cleanups.push(() => bot.kill());
    await bot.waitUntilReady();
    return { world, bot };
  }

  test.each([
    ['serve', 'SIGTERM'],
    ['web', 'SIGTERM'],
    ['worker', 'SIGINT'],
  ] as const)('%s without active jobs exits 0 on %s', async (role, signal) => {
    const { bot } = await startBotProcess(role);

    bot.signal(signal);
    const exit = await exitWithin(bot, 20_000);

    expect(exit).toEqual({ code: 0, signal: null });
  });

  test('job past the deadline exits 1', async () => {
    const { world, bot } = await startBotProcess('serve', { shutdownTimeoutSeconds: 1 });
    const espocrm = world.instances[0]?.espocrm;
    if (!espocrm) throw new Error('the sandbox has no EspoCRM instance');
    // EspoCRM never responds, so the plan job stays active until the bot gives up on it.
    espocrm.server.injectFault({ path: '/api/v1/', action: 'timeout', rate: 1 });

    const acknowledgement = await sendCommand(bot.url, 'setup demo');
    expect(acknowledgement.status).toBe(200);
    await waitFor('the plan job to call EspoCRM', () => (espocrm.server.requests.length > 0 ? true : undefined));

    bot.signal('SIGTERM');
    const exit = await exitWithin(bot, 20_000);

    expect(exit).toEqual({ code: 1, signal: null });
    expect(bot.output.join('')).toContain('active jobs did not finish before the shutdown deadline');
  });

  test('shutdown with Redis gone ends', async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    cleanups.push(() => redis.stop());
    const { bot } = await startBotProcess('serve', { redisUrl: redis.url, shutdownTimeoutSeconds: 2 });

    await redis.stop();
    await waitFor('readyz 503', async () => ((await httpGet(`${bot.url}/readyz`)).status === 503 ? true : undefined));
    // The connections are in their reconnect loop once a refused connection was logged.
    await waitFor('a refused Redis connection in the log', () => (bot.output.join('').includes('ECONNREFUSED') ? true : undefined));
    bot.signal('SIGTERM');
    const exit = await exitWithin(bot, 20_000);

    expect(exit.signal).toBeNull();
    expect([0, 1]).toContain(exit.code);
  });
});
