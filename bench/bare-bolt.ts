import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * The baseline of the acknowledgement and start-up figures: a Bolt app on the same HTTPReceiver
 * and signing secret as `espo-sso web` that does nothing but acknowledge `/espo-sso`. It serves
 * GET /healthz so that its start-up can be timed like espo-sso's /readyz.
 *
 * Environment: SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL and PORT, all required. The
 * app keeps Bolt's default token verification: one `auth.test` on SLACK_API_URL when it starts,
 * whose result every event reuses. With BARE_AUTH_TEST_PER_EVENT=1 it turns that verification off
 * as espo-sso does, and Bolt 5.1's single-workspace authorization then calls `auth.test` before
 * every event.
 *
 * With BARE_ENQUEUE_PREFIX and REDIS_URL set, the app also adds one BullMQ job under that prefix
 * before it acknowledges: the least work a command that queues a job must do before its reply.
 */

async function main(): Promise<void> {
  const signingSecret = process.env.SLACK_SIGNING_SECRET;
  const botToken = process.env.SLACK_BOT_TOKEN;
  const slackApiUrl = process.env.SLACK_API_URL;
  const port = Number(process.env.PORT);
  if (!botToken || !slackApiUrl) throw new Error('SLACK_BOT_TOKEN and SLACK_API_URL must be set; point them at the fake Slack.');
  if (!signingSecret) throw new Error('SLACK_SIGNING_SECRET is not set; set it to the signing secret the benchmark signs with.');
  if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT is "${process.env.PORT ?? ''}"; set it to a free TCP port.`);

  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: '/slack/events',
    processBeforeResponse: false,
    logLevel: LogLevel.ERROR,
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"status":"ok"}');
        },
      },
    ],
  });
  const app = new App({
    token: botToken,
    receiver,
    logLevel: LogLevel.ERROR,
    tokenVerificationEnabled: process.env.BARE_AUTH_TEST_PER_EVENT !== '1',
    clientOptions: { slackApiUrl },
  });
  const enqueuePrefix = process.env.BARE_ENQUEUE_PREFIX;
  const redisUrl = process.env.REDIS_URL;
  const queue = enqueuePrefix && redisUrl ? new Queue('requests', { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix: enqueuePrefix }) : undefined;
  app.command('/espo-sso', async ({ ack, command }) => {
    if (queue) await queue.add('status', { instance: command.text, userId: command.user_id, channelId: command.channel_id }, { attempts: 2 });
    await ack();
  });
  // Loopback only, like the fakes and espo-sso with the sandbox's HOST.
  await app.start({ port, host: '127.0.0.1' });

  const stop = (): void => {
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`bare Bolt app failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
