import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';

import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import { type FakeMessage } from '../../sandbox/slack';
import {
  type BlockAction,
  type SendOptions,
  type SignedResponse,
  type SlashCommand,
  sendBlockAction,
  sendSlashCommand,
} from '../../sandbox/slack';
import { SANDBOX, type SandboxWorld, startSandbox } from '../../sandbox/world';
import { type Config, parseConfig } from '../../src/config';
import { QUEUE_NAME } from '../../src/jobs/names';
import { type RequestRecord, type RequestState, RequestStore, TERMINAL_STATES } from '../../src/jobs/request-store';
import { createLogger, type Logger } from '../../src/logging/logger';
import { registerConfigSecrets } from '../../src/logging/secrets';
import { type BotHandle, type Role, startBot } from '../../src/runtime/bot';
import { ACTION, BLOCK } from '../../src/slack/ids';
import { sleep, timed, waitFor } from './wait';

/**
 * One sandbox world (fake authentik, Slack and EspoCRM on 127.0.0.1) with its own Redis key
 * prefix, in-process bots whose log lines are kept, and the signed Slack requests a user sends.
 */

export { SANDBOX };

/** Slack's deadline for the response to a slash command or a click, in milliseconds. */
export const SLACK_ACK_DEADLINE_MS = 3000;

export interface FaultWorldOptions {
  redisUrl: string;
  /** Names of the EspoCRM instances. Default ['demo']. */
  instances?: string[];
  /** Keys merged into `access`. */
  access?: Record<string, unknown>;
  /** Keys of `worker`; `attempts` and `shutdownTimeoutSeconds` matter most here. */
  worker?: Record<string, unknown>;
  /** Timeout of each authentik and EspoCRM call, in seconds. Default 3, so injected timeouts end soon. */
  callTimeoutSeconds?: number;
  /** Delay added to every response of the fakes, in milliseconds. */
  latencyMs?: number;
}

/** Creates a logger whose lines are appended to `lines`. */
export function captureLogger(lines: string[], level: 'debug' | 'info' = 'debug'): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return createLogger({ level, destination });
}

export class FaultWorld {
  readonly bots: BotHandle[] = [];
  /** Log lines of every in-process bot of this world. */
  readonly logLines: string[] = [];
  readonly logger: Logger;
  readonly store: RequestStore;
  private queueHandle: { queue: Queue; connection: Redis } | undefined;
  private stopped = false;

  private constructor(
    readonly world: SandboxWorld,
    /** The configuration document, as the YAML file of a worker process contains it. */
    readonly document: Record<string, unknown>,
    readonly config: Config,
    readonly prefix: string,
    readonly redisUrl: string,
    /** A connection of the test's own, for reading request records and BullMQ's keys. */
    readonly redis: Redis,
  ) {
    this.logger = captureLogger(this.logLines);
    this.store = new RequestStore(redis, prefix);
  }

  static async start(options: FaultWorldOptions): Promise<FaultWorld> {
    const prefix = `espo-sso-faults-${randomUUID().slice(0, 8)}`;
    const world = await startSandbox({
      redisUrl: options.redisUrl,
      queuePrefix: prefix,
      instances: options.instances,
      access: options.access,
      worker: options.worker,
      latencyMs: options.latencyMs,
    });
    const timeoutSeconds = options.callTimeoutSeconds ?? 3;
    const document = structuredClone(world.config);
    (document.authentik as Record<string, unknown>).timeoutSeconds = timeoutSeconds;
    for (const instance of document.instances as Array<Record<string, unknown>>) instance.timeoutSeconds = timeoutSeconds;
    const config = parseConfig(document, { ...world.env, PORT: '0' }, { source: 'fault test configuration' });
    // The serve command registers these before it starts; in-process bots get the same redaction.
    registerConfigSecrets(config);
    const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: (attempt) => Math.min(attempt * 100, 1000) });
    redis.on('error', () => undefined);
    return new FaultWorld(world, document, config, prefix, options.redisUrl, redis);
  }

  get slack(): SandboxWorld['slack'] {
    return this.world.slack;
  }

  get authentik(): SandboxWorld['authentik'] {
    return this.world.authentik;
  }

  /** Returns the fake EspoCRM of an instance. */
  espocrm(instance = 'demo'): SandboxWorld['instances'][number]['espocrm'] {
    const found = this.world.instances.find((candidate) => candidate.name === instance);
    if (!found) throw new Error(`the fault world has no instance "${instance}"`);
    return found.espocrm;
  }

  /** Environment for a bot process of this world. */
  processEnv(): Record<string, string> {
    return { ...this.world.env, PORT: '0', LOG_LEVEL: 'info' };
  }

  /** BullMQ's view of the queue, for job counts and job states. */
  get queue(): Queue {
    if (!this.queueHandle) {
      const connection = new Redis(this.redisUrl, { maxRetriesPerRequest: null, retryStrategy: (attempt) => Math.min(attempt * 100, 1000) });
      connection.on('error', () => undefined);
      this.queueHandle = { queue: new Queue(QUEUE_NAME, { prefix: this.prefix, connection }), connection };
    }
    return this.queueHandle.queue;
  }

  /**
   * Starts a bot in this process: `serve` (receiver and worker), `web` or `worker`. Waits until
   * /readyz would return 200, as a load balancer does before it sends traffic. Until Redis is
   * connected, the bot responds to every command with "temporarily unavailable".
   */
  async startBot(role: Role = 'serve', options: { waitUntilReady?: boolean } = {}): Promise<BotHandle> {
    const bot = await startBot({ config: this.config, role, logger: this.logger.child({ role }), port: 0 });
    this.bots.push(bot);
    if (options.waitUntilReady ?? true) {
      await waitFor(`the ${role} bot to be ready`, async () => ((await bot.ready()).ok ? true : undefined), 10_000, 25);
    }
    return bot;
  }

  /** Sends `/espo-sso <text>` as a user; returns Slack's view of the answer and how long it took. */
  async command(
    botUrl: string,
    text: string,
    userId: string = SANDBOX.requesterId,
    extra: Partial<SlashCommand> = {},
    options: SendOptions = {},
  ): Promise<{ response: SignedResponse; ms: number; text: string }> {
    const { ms, value: response } = await timed(
      sendSlashCommand(
        botUrl,
        SANDBOX.signingSecret,
        { text, userId, channelId: SANDBOX.channelId, teamId: SANDBOX.teamId, ...extra },
        options,
      ),
    );
    return { response, ms, text: ackText(response) };
  }

  /**
   * Clicks a button of a request message as `userId`. Returns the HTTP answer and the id of the
   * response URL the click carried, whose posts hold the bot's ephemeral answer.
   */
  async click(
    botUrl: string,
    request: RequestRecord,
    actionId: string,
    userId: string,
    overrides: Partial<BlockAction> = {},
    options: SendOptions = {},
  ): Promise<{ response: SignedResponse; ms: number; responseUrlId: string }> {
    if (!request.messageTs) throw new Error(`request ${request.id} has no message yet`);
    const responseUrlId = `click-${randomUUID().slice(0, 8)}`;
    const responseUrl = this.slack.responseUrl(responseUrlId, { channel: request.channelId, userId });
    const { ms, value: response } = await timed(
      sendBlockAction(
        botUrl,
        SANDBOX.signingSecret,
        {
          userId,
          channelId: request.channelId,
          teamId: SANDBOX.teamId,
          messageTs: request.messageTs,
          actionId,
          blockId: BLOCK.decision(request.id),
          value: request.id,
          message: this.slack.messagePayload(request.channelId, request.messageTs),
          responseUrl,
          ...overrides,
        },
        options,
      ),
    );
    return { response, ms, responseUrlId };
  }

  /** Texts the bot posted to a response URL, in order. */
  responseTexts(responseUrlId: string): string[] {
    return this.slack.responses(responseUrlId).map((post) => String(post.body?.text ?? ''));
  }

  /** Waits until the bot has answered on a response URL and returns the first text. */
  async responseText(responseUrlId: string, timeoutMs = 10_000): Promise<string> {
    return waitFor(`an answer on response URL ${responseUrlId}`, () => this.responseTexts(responseUrlId)[0], timeoutMs);
  }

  /** Returns the request that has the instance's lock now. */
  holder(instance = 'demo'): Promise<RequestRecord | undefined> {
    return this.store.holder(instance);
  }

  async waitForState(id: string, states: readonly RequestState[], timeoutMs = 30_000): Promise<RequestRecord> {
    return waitFor(
      `request ${id.slice(0, 8)} to reach ${states.join(' or ')}`,
      async () => {
        const record = await this.store.get(id);
        return record && states.includes(record.state) ? record : undefined;
      },
      timeoutMs,
      50,
    );
  }

  waitForTerminal(id: string, timeoutMs = 30_000): Promise<RequestRecord> {
    return this.waitForState(id, TERMINAL_STATES, timeoutMs);
  }

  /** Sends `/espo-sso <operation> <instance>` as the requester and waits until the plan is posted for approval. */
  async requestPending(botUrl: string, operation: 'setup' | 'rotate' | 'disable', instance = 'demo', userId: string = SANDBOX.requesterId): Promise<RequestRecord> {
    const answer = await this.command(botUrl, `${operation} ${instance}`, userId);
    if (answer.response.status !== 200 || !/Planning/.test(answer.text)) {
      throw new Error(`/espo-sso ${operation} ${instance} was not accepted: HTTP ${answer.response.status} "${answer.text}"`);
    }
    const request = await waitFor(`a request for ${instance}`, () => this.holder(instance), 10_000);
    return this.waitForState(request.id, ['pending'], 20_000);
  }

  /** Requests an operation and has the approver approve it; returns the approved request. */
  async requestApproved(botUrl: string, operation: 'setup' | 'rotate' | 'disable', instance = 'demo'): Promise<RequestRecord> {
    const pending = await this.requestPending(botUrl, operation, instance);
    const click = await this.click(botUrl, pending, ACTION.approve, SANDBOX.approverId);
    if (click.response.status !== 200) throw new Error(`the approve click answered HTTP ${click.response.status}`);
    await this.waitForState(pending.id, ['approved', 'applying', ...TERMINAL_STATES], 10_000);
    return pending;
  }

  /** Runs a whole approved operation to its end state and returns the finished request. */
  async runApproved(botUrl: string, operation: 'setup' | 'rotate' | 'disable', instance = 'demo', timeoutMs = 60_000): Promise<RequestRecord> {
    const approved = await this.requestApproved(botUrl, operation, instance);
    return this.waitForTerminal(approved.id, timeoutMs);
  }

  /** Replies in the thread of a request's message. */
  threadReplies(request: Pick<RequestRecord, 'channelId' | 'messageTs'>): FakeMessage[] {
    if (!request.messageTs) return [];
    return this.slack.message(request.channelId, request.messageTs)?.replies ?? [];
  }

  /** Returns the result replies ("<operation> <instance>: done|failed") in a request's thread. */
  resultReplies(request: Pick<RequestRecord, 'channelId' | 'messageTs'>): FakeMessage[] {
    return this.threadReplies(request).filter((reply) => /: (done|failed)$/.test(reply.text));
  }

  /** Waits for the result reply of a request and returns its text followed by the text of its blocks. */
  async resultReply(request: Pick<RequestRecord, 'channelId' | 'messageTs'>, timeoutMs = 20_000): Promise<string> {
    const reply = await waitFor('the result reply in the thread', () => this.resultReplies(request)[0], timeoutMs);
    return [reply.text, ...blockTexts(reply.blocks ?? [])].join('\n');
  }

  /** Request records and BullMQ jobs under this world's prefix. */
  async queuedWork(): Promise<{ requests: number; jobs: Record<string, number> }> {
    const requests = await this.redis.keys(`${this.prefix}:request:*`);
    const jobs = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    return { requests: requests.length, jobs };
  }

  /** Stops every in-process bot, the fakes and the test's Redis connections. Keeps the fakes' records for later checks. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.bots.map((bot) => bot.stop()));
    await this.world.stop();
    if (this.queueHandle) {
      await this.queueHandle.queue.close().catch(() => undefined);
      this.queueHandle.connection.disconnect();
    }
  }

  /** Deletes this world's Redis keys and closes the test's connection. Call after the secret scan. */
  async removeKeys(): Promise<void> {
    try {
      let cursor = '0';
      do {
        const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (found.length > 0) await this.redis.del(...found);
      } while (cursor !== '0');
    } catch {
      // A private Redis that a test stopped has nothing left to delete.
    }
    this.redis.disconnect();
  }
}

/** Collects the mrkdwn and plain texts of Block Kit blocks, in order. */
function blockTexts(blocks: readonly unknown[]): string[] {
  const texts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if ((record.type === 'mrkdwn' || record.type === 'plain_text') && typeof record.text === 'string') texts.push(record.text);
    for (const value of Object.values(record)) visit(value);
  };
  visit(blocks);
  return texts;
}

/** Returns the text of the HTTP response to a slash command or click, '' when there is none. */
export function ackText(response: SignedResponse): string {
  const json = response.json as { text?: unknown } | undefined;
  return typeof json?.text === 'string' ? json.text : '';
}

/** Waits a little so that work a faulty request might have queued has time to show up. */
export async function settle(ms = 300): Promise<void> {
  await sleep(ms);
}
