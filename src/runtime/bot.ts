import type http from 'node:http';
import { type AddressInfo } from 'node:net';
import os from 'node:os';

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
import { botAuthorization } from './authorize';
import { boltLogger } from './bolt-logger';
import { type Readiness, operationalRoutes, startRouteServer } from './http-routes';
import { repeatLimitedWarn } from './repeat-limit';

/** Which parts a process runs: `serve` both, `web` the receiver, `worker` the queue worker. */
export type Role = 'serve' | 'web' | 'worker';

export interface StartBotOptions {
  config: Config;
  role: Role;
  logger: Logger;
  /** Port for HTTP; defaults to the configured PORT. 0 picks a free one (tests). */
  port?: number;
  /** Address to listen on; defaults to the configured HOST, else every interface. */
  host?: string;
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
  ready(): Promise<Readiness>;
  /**
   * Stops taking new work, lets active jobs finish within `worker.shutdownTimeoutSeconds`, then
   * closes the worker, the queue and Redis with deadlines of their own. `timedOut` is true when
   * a deadline was hit.
   */
  stop(): Promise<{ timedOut: boolean }>;
}

/** How long in-flight HTTP requests may take to finish once the server stops accepting new ones. */
const HTTP_CLOSE_MS = 5000;
/** How long `worker.close(true)` may take after the shutdown deadline was hit. */
const FORCED_WORKER_CLOSE_MS = 2000;
const QUEUE_CLOSE_MS = 2000;
const REDIS_CLOSE_MS = 1000;
/** How long a readiness probe waits for Redis to reply to PING. */
const PING_TIMEOUT_MS = 1000;

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

/** Checks whether Redis replies to PING in time. The producer connection has no offline queue, so this fails at once while Redis is down. */
async function ping(connection: Redis): Promise<boolean> {
  const result = await withDeadline(connection.ping().catch(() => 'failed'), PING_TIMEOUT_MS);
  return result === 'PONG';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Returns a URL this process can reach its own server at: loopback when it listens on every interface. */
function localUrl(host: string | undefined, port: number): string {
  if (host === undefined || host === '0.0.0.0' || host === '::') return `http://127.0.0.1:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Starts the roles of one process on a validated configuration. */
export async function startBot(options: StartBotOptions): Promise<BotHandle> {
  const { config, role, logger } = options;
  const runsWeb = role !== 'worker';
  const runsWorker = role !== 'web';
  const metrics = options.metrics ?? new Metrics();
  const prefix = config.env.queuePrefix;
  const socketMode = runsWeb && config.slack.appToken !== undefined;

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
  // The queue re-emits its connection's errors, so both share one rate-limited log line.
  const producerErrors = repeatLimitedWarn(logger, 'Redis connection error (producer and queue)');
  producer.on('error', producerErrors);
  const queue: Queue<JobData, unknown, JobName> = createQueue(producer, prefix);
  queue.on('error', producerErrors);
  const store = new RequestStore(producer, prefix);
  const client = createSlackClient({ token: botToken, apiUrl: config.slack.apiUrl });
  const slackNotifier = new SlackNotifier(client, config, logger.child({ component: 'notifier' }));
  const notifier = options.notifier ?? slackNotifier;

  let worker: Worker<JobData, unknown, JobName> | undefined;
  let workerConnection: Redis | undefined;
  if (runsWorker) {
    workerConnection = createRedisConnection(config.env.redisUrl, 'worker', { connectionName: `${prefix}:${role}:worker` });
    const workerErrors = repeatLimitedWarn(logger, 'Redis connection error (worker)');
    workerConnection.on('error', workerErrors);
    const runner = options.runner ?? createEngineRunner(config, logger.child({ component: 'provisioning' }), metrics.observeUpstream);
    const processor = createProcessor({ config, store, notifier, runner, queue, logger: logger.child({ component: 'worker' }), metrics });
    worker = new Worker<JobData, unknown, JobName>(QUEUE_NAME, processor, {
      connection: workerConnection,
      prefix,
      // Stored on each job (field `pb`), so an operator can tell which process ran it.
      name: `${os.hostname()}:${process.pid}`,
      concurrency: config.worker.concurrency,
      // An apply runs a dozen upstream calls; the lock is renewed while it runs.
      lockDuration: 60_000,
    });
    worker.on('error', workerErrors);
  }

  const ready = async (): Promise<Readiness> => {
    const checks: Record<string, boolean> = { redis: await ping(producer) };
    if (worker) checks.worker = worker.isRunning() && !worker.closing;
    return { ok: Object.values(checks).every(Boolean), checks };
  };
  const routes = operationalRoutes(ready, metrics);
  const listen = { port: options.port ?? config.env.port, host: options.host ?? config.env.host };

  // Bolt's HTTPReceiver serves Slack's endpoint and the operational routes on one port. The
  // worker-only role and Socket Mode have no receiver, so a plain server serves the routes.
  let app: App | undefined;
  let server: http.Server | undefined;
  let port: number;
  if (runsWeb) {
    const clientOptions = {
      slackApiUrl: config.slack.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 1, factor: 2, minTimeout: 200, maxTimeout: 1000 },
    };
    if (socketMode) {
      // NOTE: no test runs this branch, because the fake Slack has no apps.connections.open or
      // WebSocket endpoint. /readyz does not report whether the socket is connected.
      app = new App({
        authorize: botAuthorization(client, botToken),
        appToken: config.slack.appToken?.reveal(),
        socketMode: true,
        clientOptions,
        logger: boltLogger(logger),
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
      app = new App({ authorize: botAuthorization(client, botToken), receiver, clientOptions, logger: boltLogger(logger) });
    }
    const access = new AccessControl(config.access, client);
    registerListeners(app, { config, logger: logger.child({ component: 'slack' }), store, queue, access, notifier: slackNotifier, metrics });
    app.error(async (error) => {
      logger.error({ err: { message: error.message, code: (error as { code?: string }).code } }, 'unhandled error in a Slack listener');
    });
  }
  try {
    if (app && !socketMode) {
      server = await app.start(listen);
      port = (server.address() as AddressInfo).port;
    } else {
      ({ server, port } = await startRouteServer(routes, listen));
      if (app) await app.start();
    }
  } catch (error) {
    // The process cannot serve, so it releases what it opened and leaves the report to the caller.
    server?.close();
    await worker?.close(true).catch(() => undefined);
    await queue.close().catch(() => undefined);
    await closeRedis(producer, REDIS_CLOSE_MS);
    if (workerConnection) await closeRedis(workerConnection, REDIS_CLOSE_MS);
    throw error;
  }
  // The caller's logger carries the role (serve.ts sets it as a base field).
  logger.info({ port, host: listen.host ?? 'all interfaces', socketMode }, 'espo-sso started');
  const httpServer = server;

  let stopping: Promise<{ timedOut: boolean }> | undefined;
  const stop = (): Promise<{ timedOut: boolean }> => {
    stopping ??= (async () => {
      const startedAt = Date.now();
      let timedOut = false;
      logger.info('stopping: no new requests or jobs are taken');

      // close() stops fetching jobs at once and resolves when the active jobs have finished.
      const workerClosed = worker?.close().then(
        () => 'closed' as const,
        (error: unknown) => {
          logger.warn({ err: { message: errorMessage(error) } }, 'worker close failed');
          return 'failed' as const;
        },
      );

      const httpClosed = app && !socketMode ? app.stop() : new Promise<void>((resolve) => httpServer.close(() => resolve()));
      const httpResult = await withDeadline(httpClosed.catch(() => undefined), HTTP_CLOSE_MS);
      if (httpResult === 'timeout') {
        timedOut = true;
        logger.warn({ milliseconds: HTTP_CLOSE_MS }, 'HTTP requests still open at the deadline; their connections are closed');
      }
      httpServer.closeAllConnections();
      if (app && socketMode) await withDeadline(app.stop().catch(() => undefined), HTTP_CLOSE_MS);

      if (worker && workerClosed) {
        const remainingMs = Math.max(config.worker.shutdownTimeoutSeconds * 1000 - (Date.now() - startedAt), 0);
        if ((await withDeadline(workerClosed, remainingMs)) === 'timeout') {
          timedOut = true;
          logger.warn(
            { seconds: config.worker.shutdownTimeoutSeconds },
            'active jobs did not finish before the shutdown deadline; they return to the queue when their lock expires',
          );
          if ((await withDeadline(worker.close(true).catch(() => undefined), FORCED_WORKER_CLOSE_MS)) === 'timeout') {
            logger.warn({ milliseconds: FORCED_WORKER_CLOSE_MS }, 'worker did not close after the forced close');
          }
        }
      }
      if ((await withDeadline(queue.close().catch(() => undefined), QUEUE_CLOSE_MS)) === 'timeout') {
        timedOut = true;
        logger.warn({ milliseconds: QUEUE_CLOSE_MS }, 'queue did not close in time');
      }
      await closeRedis(producer, REDIS_CLOSE_MS);
      if (workerConnection) await closeRedis(workerConnection, REDIS_CLOSE_MS);
      logger.info({ timedOut, milliseconds: Date.now() - startedAt }, 'espo-sso stopped');
      return { timedOut };
    })();
    return stopping;
  };

  return { url: localUrl(listen.host, port), port, metrics, store, ready, stop };
}
