import http from 'node:http';
import { type AddressInfo } from 'node:net';

import { App, HTTPReceiver } from '@slack/bolt';
import { type Queue, Worker } from 'bullmq';
import { type Redis } from 'ioredis';

import { type Config } from '../config/load';
import { EspoSsoError } from '../errors';
import { type JobName, QUEUE_NAME } from '../jobs/names';
import { type Notifier } from '../jobs/notifier';
import { createProcessor } from '../jobs/processor';
import { type JobData, createQueue } from '../jobs/queue';
import { RequestStore } from '../jobs/request-store';
import { type ProvisioningRunner, createEngineRunner } from '../jobs/runner';
import { type Logger } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { closeRedis, createRedisConnection } from '../redis/connection';
import { AccessControl } from '../slack/access';
import { registerListeners } from '../slack/listeners';
import { SlackNotifier } from '../slack/notifier';
import { createSlackClient } from '../slack/web-client';
import { boltLogger } from './bolt-logger';
import { operationalRoutes } from './http-routes';

/** Which parts a process runs: `serve` both, `web` the receiver, `worker` the queue worker. */
export type Role = 'serve' | 'web' | 'worker';

export interface StartBotOptions {
  config: Config;
  role: Role;
  logger: Logger;
  /** Port for HTTP; defaults to the configured PORT. 0 picks a free one (tests). */
  port?: number;
  metrics?: Metrics;
  /** Replaces the provisioning engine (tests of the Slack front). */
  runner?: ProvisioningRunner;
  /** Replaces the Slack notifier (tests of the worker alone). */
  notifier?: Notifier;
}

export interface BotHandle {
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:3000. */
  url: string;
  port: number;
  metrics: Metrics;
  store: RequestStore;
  ready(): Promise<{ ok: boolean; checks: Record<string, boolean> }>;
  /**
   * Stops taking new work, lets active jobs finish within `worker.shutdownTimeoutSeconds`, then
   * closes the worker, the queue and Redis with deadlines of their own. `timedOut` is true when
   * a deadline was hit.
   */
  stop(): Promise<{ timedOut: boolean }>;
}

/** Resolves to 'timeout' when `work` takes longer than `ms`. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function ping(connection: Redis): Promise<boolean> {
  const result = await withDeadline(connection.ping().catch(() => 'failed'), 1000);
  return result === 'PONG';
}

/** Starts the roles of one process on a validated configuration. */
export async function startBot(options: StartBotOptions): Promise<BotHandle> {
  const { config, role, logger } = options;
  const runsWeb = role !== 'worker';
  const runsWorker = role !== 'web';
  const metrics = options.metrics ?? new Metrics();
  const prefix = config.env.queuePrefix;

  const botToken = config.slack.botToken;
  if (!botToken) {
    throw new EspoSsoError('config_invalid', 'SLACK_BOT_TOKEN is not set.', { hint: 'Set it to the bot token (xoxb-…) of the Slack app.' });
  }
  if (runsWeb && !config.slack.appToken && !config.slack.signingSecret) {
    throw new EspoSsoError('config_invalid', 'SLACK_SIGNING_SECRET is not set.', {
      hint: "Set it to the app's signing secret, or set SLACK_APP_TOKEN to use Socket Mode.",
    });
  }

  const producer = createRedisConnection(config.env.redisUrl, 'producer', { connectionName: `${prefix}:${role}:producer` });
  producer.on('error', (error) => logger.debug({ err: { message: error.message } }, 'redis producer connection error'));
  const queue: Queue<JobData, unknown, JobName> = createQueue(producer, prefix);
  queue.on('error', (error) => logger.debug({ err: { message: error.message } }, 'queue error'));
  const store = new RequestStore(producer, prefix);
  const client = createSlackClient({ token: botToken, apiUrl: config.slack.apiUrl });
  const slackNotifier = new SlackNotifier(client, config, logger.child({ component: 'notifier' }));
  const notifier = options.notifier ?? slackNotifier;

  let worker: Worker<JobData, unknown, JobName> | undefined;
  let workerConnection: Redis | undefined;
  if (runsWorker) {
    workerConnection = createRedisConnection(config.env.redisUrl, 'worker', { connectionName: `${prefix}:${role}:worker` });
    workerConnection.on('error', (error) => logger.debug({ err: { message: error.message } }, 'redis worker connection error'));
    const runner = options.runner ?? createEngineRunner(config, logger.child({ component: 'provisioning' }), metrics.observeUpstream);
    const processor = createProcessor({ config, store, notifier, runner, queue, logger: logger.child({ component: 'worker' }), metrics });
    worker = new Worker<JobData, unknown, JobName>(QUEUE_NAME, processor, {
      connection: workerConnection,
      prefix,
      concurrency: config.worker.concurrency,
      // An apply runs a dozen upstream calls; the lock is renewed while it runs.
      lockDuration: 60_000,
    });
    worker.on('error', (error) => logger.warn({ err: { message: error.message } }, 'worker error'));
  }

  const ready = async (): Promise<{ ok: boolean; checks: Record<string, boolean> }> => {
    const checks: Record<string, boolean> = { redis: await ping(workerConnection ?? producer) };
    if (worker) checks.worker = worker.isRunning() && !worker.closing;
    return { ok: Object.values(checks).every(Boolean), checks };
  };
  const routes = operationalRoutes(ready, metrics);
  const port = options.port ?? config.env.port;

  let app: App | undefined;
  let server: http.Server | undefined;
  let actualPort = port;
  if (runsWeb) {
    const clientOptions = {
      slackApiUrl: config.slack.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 1, factor: 2, minTimeout: 200, maxTimeout: 1000 },
    };
    if (config.slack.appToken) {
      app = new App({
        token: botToken.reveal(),
        appToken: config.slack.appToken.reveal(),
        socketMode: true,
        customRoutes: routes,
        installerOptions: { port },
        clientOptions,
        logger: boltLogger(logger),
        tokenVerificationEnabled: false,
      });
    } else {
      const receiver = new HTTPReceiver({
        signingSecret: config.slack.signingSecret?.reveal() ?? '',
        endpoints: '/slack/events',
        customRoutes: routes,
        processBeforeResponse: false,
        logger: boltLogger(logger),
        // Slack's payloads are a few kilobytes; anything far larger is not from Slack.
        bodyLimit: 512 * 1024,
        unhandledRequestTimeoutMillis: 3001,
      });
      app = new App({ token: botToken.reveal(), receiver, clientOptions, logger: boltLogger(logger), tokenVerificationEnabled: false });
    }
    const access = new AccessControl(config.access, client);
    registerListeners(app, { config, logger: logger.child({ component: 'slack' }), store, queue, access, notifier: slackNotifier, metrics });
    app.error(async (error) => {
      logger.error({ err: { message: error.message, code: (error as { code?: string }).code } }, 'unhandled error in a Slack listener');
    });
    const started = (await app.start(port)) as unknown;
    if (started instanceof http.Server) actualPort = (started.address() as AddressInfo).port;
  } else {
    server = http.createServer((req, res) => {
      const route = routes.find((candidate) => candidate.path === (req.url ?? '').split('?')[0] && candidate.method.includes(req.method ?? ''));
      if (route) route.handler(req, res);
      else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject);
      server?.listen(port, () => resolve());
    });
    actualPort = (server.address() as AddressInfo).port;
  }
  logger.info({ role, port: actualPort, socketMode: Boolean(config.slack.appToken) }, 'espo-sso started');

  let stopping: Promise<{ timedOut: boolean }> | undefined;
  const stop = (): Promise<{ timedOut: boolean }> => {
    stopping ??= (async () => {
      let timedOut = false;
      logger.info({ role }, 'stopping: no new work is taken');
      if (app) {
        const result = await withDeadline(app.stop().catch(() => undefined), 5000);
        if (result === 'timeout') timedOut = true;
      }
      if (server) {
        const closing = server;
        await withDeadline(new Promise<void>((resolve) => closing.close(() => resolve())), 5000);
        closing.closeAllConnections();
      }
      if (worker) {
        const closing = worker;
        const result = await withDeadline(closing.close(), config.worker.shutdownTimeoutSeconds * 1000);
        if (result === 'timeout') {
          timedOut = true;
          logger.warn({ seconds: config.worker.shutdownTimeoutSeconds }, 'active jobs did not finish in time; they return to the queue when their lock expires');
          await withDeadline(closing.close(true), 2000);
        }
      }
      if ((await withDeadline(queue.close(), 2000)) === 'timeout') timedOut = true;
      await closeRedis(producer, 1000);
      if (workerConnection) await closeRedis(workerConnection, 1000);
      logger.info({ role, timedOut }, 'espo-sso stopped');
      return { timedOut };
    })();
    return stopping;
  };

  return { url: `http://127.0.0.1:${actualPort}`, port: actualPort, metrics, store, ready, stop };
}
