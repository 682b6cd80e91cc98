import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';
import { stringify } from 'yaml';

import { ACTION } from '../../src/slack/ids';
import { type FakeMessage, type SignedResponse, sendBlockAction, sendSlashCommand } from '../../sandbox/slack';
import { freePort, redisAnswers } from '../../sandbox/local-services';
import { SANDBOX, type SandboxWorld } from '../../sandbox/world';

export { freePort, redisAnswers };

/**
 * Helpers for tests that run the bot as the operator does: child processes started with
 * `node bin/espo-sso.js <role>`, private Redis servers, and the Slack side of a setup.
 * Every server listens on 127.0.0.1.
 */

export const ROOT = path.join(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'espo-sso.js');
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** Polls `probe` every 50 ms until it returns a value, or throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends a GET to a loopback URL; a refused connection resolves with status 0. */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          contentType: String(response.headers['content-type'] ?? ''),
        }),
      );
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve({ status: 0, body: '', contentType: '' }));
  });
}

/** A redis-server child process without persistence, on a loopback port of its own. */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, after `stop`) and waits until it replies to PING. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(this.port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.child = child;
    await waitFor(`redis-server on port ${this.port}`, async () => ((await redisAnswers(this.url)) ? true : undefined), 10_000);
  }

  /** Stops the server with SIGKILL, as a crash would, and waits for the process to end. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** A bot started with `node bin/espo-sso.js <role>`, with its output kept for failure messages. */
export class BotProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(
    readonly role: 'serve' | 'web' | 'worker',
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [BIN, role], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until GET /readyz returns 200. Fails with the process output when the process exits first. */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.role} on port ${this.port} to be ready`,
      async () => {
        if (!this.running) throw new Error(`${this.role} exited before it was ready:\n${this.output.join('')}`);
        return (await httpGet(`${this.url}/readyz`, 2000)).status === 200 ? true : undefined;
      },
      timeoutMs,
    );
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Kills the process with SIGKILL unless it has already exited; used in afterAll and afterEach. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Writes the world's configuration document to a temporary espo-sso.yml and returns the environment that names it. */
export function writeConfigFile(world: SandboxWorld, extra: Record<string, string> = {}): { env: Record<string, string>; remove: () => void } {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'espo-sso-runtime-'));
  const file = path.join(directory, 'espo-sso.yml');
  writeFileSync(file, stringify(world.config));
  return {
    env: { ...world.env, ESPO_SSO_CONFIG: file, LOG_LEVEL: 'warn', ...extra },
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** Returns a fresh QUEUE_PREFIX, so every test has its own keys in a shared Redis. */
export function uniquePrefix(label: string): string {
  return `espo-sso-test-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const stream = redis.scanStream({ match: `${prefix}:*`, count: 500 });
    for await (const batch of stream as AsyncIterable<string[]>) {
      if (batch.length > 0) await redis.unlink(...batch);
    }
  } finally {
    redis.disconnect();
  }
}

/** Sends a signed `/espo-sso <text>` from the requester in the request channel. */
export function sendCommand(botUrl: string, text: string): Promise<SignedResponse> {
  return sendSlashCommand(botUrl, SANDBOX.signingSecret, {
    text,
    userId: SANDBOX.requesterId,
    channelId: SANDBOX.channelId,
    teamId: SANDBOX.teamId,
  });
}

/** Finds the pending request message for `instance`: a top-level message that shows the Approve button. */
export function requestMessageFor(world: SandboxWorld, instance: string): FakeMessage | undefined {
  return world.slack
    .messages(SANDBOX.channelId)
    .find((message) => message.text.includes(` for ${instance}, `) && JSON.stringify(message.blocks ?? []).includes(ACTION.approve));
}

/** Clicks Approve on a request message as the approver. */
export function approve(botUrl: string, world: SandboxWorld, message: FakeMessage): Promise<SignedResponse> {
  return sendBlockAction(botUrl, SANDBOX.signingSecret, {
    userId: SANDBOX.approverId,
    channelId: SANDBOX.channelId,
    teamId: SANDBOX.teamId,
    messageTs: message.ts,
    actionId: ACTION.approve,
    message: world.slack.messagePayload(SANDBOX.channelId, message.ts),
  });
}

/** Finds the thread reply that reports the result of an apply ("done" or "failed"), if it was posted. */
export function resultReply(world: SandboxWorld, message: FakeMessage): FakeMessage | undefined {
  return world.slack.message(SANDBOX.channelId, message.ts)?.replies.find((reply) => /done|failed/.test(reply.text));
}
