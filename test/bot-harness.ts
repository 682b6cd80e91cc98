import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';

import { Redis } from 'ioredis';

import { type Config, parseConfig } from '../src/config';
import { keys } from '../src/jobs/names';
import { type Notifier } from '../src/jobs/notifier';
import { createLogger, type Logger } from '../src/logging/logger';
import { type Metrics } from '../src/metrics/metrics';
import { type BotHandle, type Role, startBot } from '../src/runtime/bot';
import { ACTION, VIEW } from '../src/slack/ids';
import { type JsonObject, type FakeMessage, type SignedResponse, sendBlockAction, sendSlashCommand, sendViewSubmission } from '../sandbox/slack';
import { SANDBOX, type SandboxOptions, type SandboxWorld, startSandbox } from '../sandbox/world';

/**
 * A sandbox world (fake authentik, EspoCRM and Slack on 127.0.0.1) plus real bots on the local
 * Redis at 127.0.0.1:6379, each test under its own QUEUE_PREFIX. `stop()` stops every bot and fake
 * and deletes every key under the prefix.
 */

export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface HarnessOptions extends Omit<SandboxOptions, 'redisUrl' | 'queuePrefix'> {
  /** Log level of the captured logger; default debug, so the secret scan covers as many lines as possible. */
  logLevel?: 'debug' | 'info' | 'warn';
}

export interface ClickOptions {
  userId: string;
  actionId: string;
  /** ts of the request message; default: the newest request message. */
  messageTs?: string;
  /** Overrides the button value (the request id). */
  value?: string;
  /** Overrides the block_id, e.g. for a click from a client that still shows removed buttons. */
  blockId?: string;
}

export interface Harness {
  world: SandboxWorld;
  config: Config;
  prefix: string;
  /** The test's own connection, for reading and changing keys under `prefix`. */
  redis: Redis;
  /** Every log line the bots wrote, as JSON text. */
  logs: string[];
  logger: Logger;
  /** Starts a bot on the shared configuration and waits until it reports ready. */
  startBot(role?: Role, options?: { metrics?: Metrics; notifier?: Notifier }): Promise<BotHandle>;
  /** Stops one bot and removes it from the harness. */
  stopBot(bot: BotHandle): Promise<void>;
  /** Sends a signed slash command to `bot` from `userId` in the request channel. */
  command(bot: BotHandle, text: string, userId?: string, options?: { triggerId?: string }): Promise<SignedResponse>;
  /** Sends a signed button click on a request message; the response URL is registered with the fake. */
  click(bot: BotHandle, options: ClickOptions): Promise<{ response: SignedResponse; responseUrlId: string }>;
  /** Sends a signed modal submission. */
  submitModal(bot: BotHandle, userId: string, values: Record<string, Record<string, unknown>>, privateMetadata: string): Promise<SignedResponse>;
  /** Top-level messages in the request channel that were posted with an Approve button. */
  requestMessages(): FakeMessage[];
  /** Waits for the `count`-th request message (1-based) and returns it. */
  waitForRequestMessage(count?: number): Promise<FakeMessage>;
  /** Every key under the prefix. */
  keys(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Polls `probe` every 25 ms until it returns a value, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Returns the actions block of a message, if it has one. */
export function actionsBlock(message: FakeMessage | undefined): JsonObject | undefined {
  return message?.blocks?.find((block) => block.type === 'actions');
}

/** Returns every text a message shows: its fallback text and each block as JSON. */
export function shownText(message: { text: string; blocks?: JsonObject[] } | undefined): string {
  if (!message) return '';
  return [message.text, ...(message.blocks ?? []).map((block) => JSON.stringify(block))].join('\n');
}

/** Returns the `text` of an ephemeral acknowledgement body. */
export function ackText(response: SignedResponse): string {
  const body = response.json as { text?: unknown } | undefined;
  return typeof body?.text === 'string' ? body.text : '';
}

/** Deletes every key under `prefix` with SCAN, so a test leaves nothing behind. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const stream = redis.scanStream({ match: `${prefix}:*`, count: 500 });
  for await (const batch of stream as AsyncIterable<string[]>) {
    if (batch.length > 0) await redis.unlink(...batch);
  }
}

/** Reads every key under `prefix` with SCAN and TYPE-aware reads, as one string per key. */
export async function dumpKeys(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  const stream = redis.scanStream({ match: `${prefix}:*`, count: 500 });
  for await (const batch of stream as AsyncIterable<string[]>) {
    for (const key of batch) {
      const type = await redis.type(key);
      let value: unknown;
      switch (type) {
        case 'string':
          value = await redis.get(key);
          break;
        case 'hash':
          value = await redis.hgetall(key);
          break;
        case 'list':
          value = await redis.lrange(key, 0, -1);
          break;
        case 'set':
          value = await redis.smembers(key);
          break;
        case 'zset':
          value = await redis.zrange(key, 0, -1, 'WITHSCORES');
          break;
        case 'stream':
          value = await redis.xrange(key, '-', '+');
          break;
        case 'none':
          continue;
        default:
          throw new Error(`key ${key} has type ${type}, which the dump does not read`);
      }
      dump.set(key, JSON.stringify(value));
    }
  }
  return dump;
}

function captureLines(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { destination, lines };
}

/** Starts the fakes and returns a harness; bots are started with `startBot`. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const prefix = `espo-sso-test-${randomUUID().slice(0, 12)}`;
  const { logLevel, ...sandboxOptions } = options;
  const world = await startSandbox({ ...sandboxOptions, redisUrl: REDIS_URL, queuePrefix: prefix });
  const config = parseConfig(world.config, { ...world.env, PORT: '0' }, { source: 'test configuration' });
  const { destination, lines } = captureLines();
  const logger = createLogger({ level: logLevel ?? 'debug', destination });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const bots = new Set<BotHandle>();
  let responseUrls = 0;

  const nextResponseUrl = (context: { userId: string; messageTs?: string }): { id: string; url: string } => {
    responseUrls += 1;
    const id = `${prefix}-${responseUrls}`;
    return { id, url: world.slack.responseUrl(id, { channel: SANDBOX.channelId, ...context }) };
  };

  // A request message carried an Approve button when it was posted; a decision removes it later.
  const requestMessages = (): FakeMessage[] =>
    world.slack
      .messages(SANDBOX.channelId)
      .filter((message) => JSON.stringify(message.history[0]?.blocks ?? message.blocks ?? []).includes(ACTION.approve));

  const harness: Harness = {
    world,
    config,
    prefix,
    redis,
    logs: lines,
    logger,
    async startBot(role = 'serve', botOptions = {}) {
      const bot = await startBot({ config, role, logger: logger.child({ role }), port: 0, ...botOptions });
      bots.add(bot);
      await waitFor(`the ${role} bot to be ready`, async () => ((await bot.ready()).ok ? true : undefined));
      return bot;
    },
    async stopBot(bot) {
      bots.delete(bot);
      await bot.stop();
    },
    command(bot, text, userId = SANDBOX.requesterId, commandOptions = {}) {
      return sendSlashCommand(bot.url, SANDBOX.signingSecret, {
        text,
        userId,
        channelId: SANDBOX.channelId,
        channelName: 'sso-requests',
        teamId: SANDBOX.teamId,
        responseUrl: nextResponseUrl({ userId }).url,
        ...(commandOptions.triggerId ? { triggerId: commandOptions.triggerId } : {}),
      });
    },
    async click(bot, click) {
      const messageTs = click.messageTs ?? requestMessages().at(-1)?.ts;
      if (!messageTs) throw new Error('no request message to click on');
      const responseUrl = nextResponseUrl({ userId: click.userId, messageTs });
      const response = await sendBlockAction(bot.url, SANDBOX.signingSecret, {
        userId: click.userId,
        channelId: SANDBOX.channelId,
        channelName: 'sso-requests',
        teamId: SANDBOX.teamId,
        messageTs,
        actionId: click.actionId,
        ...(click.value !== undefined ? { value: click.value } : {}),
        ...(click.blockId !== undefined ? { blockId: click.blockId } : {}),
        message: world.slack.messagePayload(SANDBOX.channelId, messageTs),
        responseUrl: responseUrl.url,
      });
      return { response, responseUrlId: responseUrl.id };
    },
    submitModal(bot, userId, values, privateMetadata) {
      return sendViewSubmission(bot.url, SANDBOX.signingSecret, {
        userId,
        teamId: SANDBOX.teamId,
        view: { callback_id: VIEW.setup, private_metadata: privateMetadata, state: { values } },
      });
    },
    requestMessages,
    async waitForRequestMessage(count = 1) {
      const message = await waitFor(`request message number ${count}`, () => requestMessages()[count - 1]);
      // The worker posts the message first and then marks the request pending; clicks need the latter.
      const requestId = String(message.history[0]?.blocks?.find((block) => block.type === 'actions')?.block_id ?? actionsBlock(message)?.block_id).replace(/^decision:/, '');
      await waitFor(`request ${requestId} to leave planning`, async () => {
        const state = await redis.hget(keys.request(prefix, requestId), 'state');
        return state !== null && state !== JSON.stringify('planning') ? true : undefined;
      });
      return message;
    },
    async keys() {
      return [...(await dumpKeys(redis, prefix)).keys()];
    },
    async stop() {
      for (const bot of [...bots]) await harness.stopBot(bot);
      await world.stop();
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
  return harness;
}
