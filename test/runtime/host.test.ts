import { ConfigError, parseConfig } from '../../src/config';
import { createLogger } from '../../src/logging/logger';
import { startBot } from '../../src/runtime/bot';
import { startSandbox } from '../../sandbox/world';
import { SHARED_REDIS_URL, deleteKeys, httpGet, uniquePrefix } from './helpers';

/** HOST sets the address the HTTP server listens on; unset, it listens on every interface. */

describe('HOST', () => {
  test('invalid value is named', async () => {
    const world = await startSandbox();
    try {
      let caught: unknown;
      try {
        parseConfig(world.config, { ...world.env, HOST: 'not a host' }, { source: 'host test' });
      } catch (error) {
        caught = error;
      }

      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).message).toContain('HOST is not a host name or IP address');
    } finally {
      await world.stop();
    }
  });

  test('worker serves on the configured address', async () => {
    const prefix = uniquePrefix('host');
    const world = await startSandbox({ redisUrl: SHARED_REDIS_URL, queuePrefix: prefix });
    const config = parseConfig(world.config, { ...world.env, HOST: '127.0.0.1', PORT: '0' }, { source: 'host test' });
    const bot = await startBot({ config, role: 'worker', logger: createLogger({ level: 'silent' }) });
    try {
      expect(config.env.host).toBe('127.0.0.1');
      expect(bot.url).toBe(`http://127.0.0.1:${bot.port}`);
      expect((await httpGet(`${bot.url}/healthz`)).status).toBe(200);
    } finally {
      await bot.stop();
      await world.stop();
      await deleteKeys(SHARED_REDIS_URL, prefix);
    }
  });
});
