import http from 'node:http';

import { parseConfig } from '../../src/config';
import { createLogger } from '../../src/logging/logger';
import { type BotHandle, type Role, startBot } from '../../src/runtime/bot';
import { type SandboxWorld, startSandbox } from '../../sandbox/world';
import { PrivateRedis, freePort, httpGet, uniquePrefix, waitFor } from './helpers';

/**
 * GET /healthz, /readyz and /metrics on the `serve` and `web` roles (next to Slack's endpoint)
 * and on the `worker` role (its own server), against a private redis-server that the test stops and starts.
 */

jest.setTimeout(60_000);

function post(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST' }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

describe.each<Role>(['serve', 'web', 'worker'])('%s role health routes', (role) => {
  let redis: PrivateRedis;
  let world: SandboxWorld;
  let bot: BotHandle | undefined;

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    world = await startSandbox({ redisUrl: redis.url, queuePrefix: uniquePrefix(`health-${role}`) });
    const config = parseConfig(world.config, { ...world.env, PORT: '0' }, { source: 'health test' });
    bot = await startBot({ config, role, logger: createLogger({ level: 'silent' }), port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await bot?.stop();
    await world?.stop();
    await redis?.stop();
  });

  test('healthz answers 200', async () => {
    const response = await httpGet(`${bot?.url}/healthz`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
  });

  test('readyz follows Redis', async () => {
    const url = `${bot?.url}/readyz`;
    const ready = await waitFor('readyz 200', async () => {
      const response = await httpGet(url);
      return response.status === 200 ? response : undefined;
    });
    const checks = role === 'web' ? { redis: true } : { redis: true, worker: true };
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks });

    await redis.stop();
    const down = await waitFor('readyz 503', async () => {
      const response = await httpGet(url);
      return response.status === 503 ? response : undefined;
    });
    expect(JSON.parse(down.body)).toMatchObject({ status: 'not ready', checks: { redis: false } });
    const health = await httpGet(`${bot?.url}/healthz`);
    expect(health.status).toBe(200);

    await redis.start();
    const back = await waitFor('readyz 200 again', async () => {
      const response = await httpGet(url);
      return response.status === 200 ? response : undefined;
    });
    expect(JSON.parse(back.body)).toMatchObject({ status: 'ready' });
  });

  test('metrics answers Prometheus text', async () => {
    const response = await httpGet(`${bot?.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.contentType).toContain('text/plain');
    expect(response.body).toContain('# TYPE process_cpu_user_seconds_total counter');
  });

  test('unknown path answers 404', async () => {
    const response = await httpGet(`${bot?.url}/nothing-here`);
    expect(response.status).toBe(404);
  });

  test('POST to healthz is not served', async () => {
    const status = await post(`${bot?.url}/healthz`);
    expect([404, 405]).toContain(status);
  });
});
