import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';

import { RequestStore } from '../../src/jobs/request-store';
import { type SandboxOptions, type SandboxWorld, startSandbox } from '../../sandbox/world';
import { freePort } from '../../sandbox/local-services';
import { type ChildHandle, HEAP_PROBE_NODE_OPTIONS, onInterrupt, spawnNode, waitForHttp200 } from './processes';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A sandbox world, its configuration file and a Redis key prefix of its own. */
export interface BenchWorld {
  world: SandboxWorld;
  prefix: string;
  configPath: string;
  /** The bot's request records under `prefix`, read with the bot's own store. */
  requests: RequestStore;
  /** Environment for `espo-sso` children: the sandbox's secrets and URLs, without SLACK_APP_TOKEN. */
  childEnv(port: number): NodeJS.ProcessEnv;
  /** Stops the fakes, deletes the configuration file and every Redis key under the prefix. */
  stop(): Promise<void>;
}

/** Starts the fakes on 127.0.0.1 and writes their configuration where a child process can read it. */
export async function startBenchWorld(name: string, options: Omit<SandboxOptions, 'redisUrl' | 'queuePrefix'>, configure?: (config: Record<string, unknown>) => void): Promise<BenchWorld> {
  const prefix = `espo-sso-bench-${name}-${randomUUID().slice(0, 8)}`;
  const world = await startSandbox({ ...options, redisUrl: REDIS_URL, queuePrefix: prefix });
  configure?.(world.config);
  const directory = mkdtempSync(path.join(os.tmpdir(), 'espo-sso-bench-'));
  const configPath = path.join(directory, 'espo-sso.yml');
  // JSON is valid YAML, so the sandbox's configuration object is written as is.
  writeFileSync(configPath, JSON.stringify(world.config, null, 2));

  const childEnv = (port: number): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // With an app-level token the bot would use Socket Mode and not listen for HTTP requests.
    delete env.SLACK_APP_TOKEN;
    return { ...env, ...world.env, ESPO_SSO_CONFIG: configPath, PORT: String(port), LOG_LEVEL: 'warn' };
  };

  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const removeInterruptCleanup = onInterrupt(async () => {
    await deleteRedisKeys(prefix);
  });

  return {
    world,
    prefix,
    configPath,
    requests: new RequestStore(redis, prefix),
    childEnv,
    stop: async () => {
      removeInterruptCleanup();
      redis.disconnect();
      await world.stop();
      rmSync(directory, { recursive: true, force: true });
      await deleteRedisKeys(prefix);
    },
  };
}

/** A running `espo-sso` child and its base URL. */
export interface BotProcess {
  child: ChildHandle;
  url: string;
  /** Milliseconds from spawn to the first 200 on /readyz. */
  readyMs: number;
}

/** Spawns `espo-sso <role>` through bin/espo-sso.js and waits until /readyz returns 200. `heapProbe` preloads bench/lib/heap-probe.ts. */
export async function startBotProcess(bench: BenchWorld, role: 'serve' | 'web' | 'worker', options: { heapProbe?: boolean } = {}): Promise<BotProcess> {
  const port = await freePort();
  const env = bench.childEnv(port);
  if (options.heapProbe) env.NODE_OPTIONS = HEAP_PROBE_NODE_OPTIONS;
  const child = spawnNode(`espo-sso ${role}`, ['bin/espo-sso.js', role], env);
  const url = `http://127.0.0.1:${port}`;
  const readyAt = await waitForHttp200(child, `${url}/readyz`);
  return { child, url, readyMs: readyAt - child.spawnedAt };
}

/** Deletes every Redis key under `prefix:` with SCAN and UNLINK. */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) deleted += await redis.unlink(...found);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Variants of the bare Bolt app; see bench/bare-bolt.ts. */
export interface BareBoltOptions {
  /** Add a BullMQ job under `<prefix>:bare` before each acknowledgement. */
  enqueue?: boolean;
  /** Turn Bolt's token verification at start off, as espo-sso does, so every event calls auth.test. */
  authTestPerEvent?: boolean;
  /** Preload bench/lib/heap-probe.ts. */
  heapProbe?: boolean;
}

/** Spawns bench/bare-bolt.ts through tsx, as bin/espo-sso.js loads the TypeScript sources, and waits for /healthz. */
export async function startBareBolt(bench: BenchWorld, options: BareBoltOptions = {}): Promise<BotProcess> {
  const port = await freePort();
  const { SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL } = bench.world.env;
  const env: NodeJS.ProcessEnv = { ...process.env, SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL, PORT: String(port) };
  delete env.BARE_ENQUEUE_PREFIX;
  delete env.BARE_AUTH_TEST_PER_EVENT;
  if (options.authTestPerEvent) env.BARE_AUTH_TEST_PER_EVENT = '1';
  if (options.heapProbe) env.NODE_OPTIONS = HEAP_PROBE_NODE_OPTIONS;
  if (options.enqueue) {
    env.BARE_ENQUEUE_PREFIX = `${bench.prefix}:bare`;
    env.REDIS_URL = REDIS_URL;
  }
  const child = spawnNode(`bare Bolt app${options.enqueue ? ' with enqueue' : ''}${options.authTestPerEvent ? ' with auth.test per event' : ''}`, ['--require', 'tsx/cjs', 'bench/bare-bolt.ts'], env);
  const url = `http://127.0.0.1:${port}`;
  const readyAt = await waitForHttp200(child, `${url}/healthz`);
  return { child, url, readyMs: readyAt - child.spawnedAt };
}
