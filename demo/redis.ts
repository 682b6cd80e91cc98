import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

import { Redis } from 'ioredis';

import { freePort, redisAnswers } from '../sandbox/local-services';

/** A Redis the demo can use: the one at REDIS_URL, or a private one it started. */
export interface DemoRedis {
  url: string;
  /** Whether the demo started this server (and must stop it). */
  started: boolean;
  stop(): Promise<void>;
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Uses REDIS_URL (default redis://127.0.0.1:6379) when it answers; otherwise starts
 * `redis-server` on a free loopback port without persistence. Throws a message that says how to
 * get Redis when neither works.
 */
export async function obtainRedis(env: NodeJS.ProcessEnv): Promise<DemoRedis> {
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(url)) return { url, started: false, stop: async () => undefined };
  if (!hasRedisServer()) {
    throw new Error(
      `No Redis answers at ${url}, and redis-server is not installed. Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a running server.`,
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await redisAnswers(privateUrl)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!(await redisAnswers(privateUrl))) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not answer on ${privateUrl}.`);
  }
  return {
    url: privateUrl,
    started: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/** Deletes every key under `prefix`, so a demo run leaves nothing behind in a shared Redis. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (found.length > 0) await client.del(...found);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
