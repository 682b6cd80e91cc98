import { Redis } from 'ioredis';

import { createQueue } from '../../src/jobs/queue';
import { ACTION } from '../../src/slack/ids';
import { sendBlockAction, sendSlashCommand } from '../../sandbox/slack';
import { SANDBOX } from '../../sandbox/world';
import { type Harness, REDIS_URL, actionsBlock, startHarness } from '../bot-harness';
import { type FakeMessage } from '../../sandbox/slack';

/** The receiver rejects requests that Slack did not sign, or signed more than 5 minutes ago. */

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function jobCount(prefix: string): Promise<number> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const queue = createQueue(connection, prefix);
  try {
    const counts = await queue.getJobCounts();
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  } finally {
    await queue.close();
    await connection.quit();
  }
}

function requestIdOf(message: FakeMessage): string {
  return String(actionsBlock(message)?.block_id).replace(/^decision:/, '');
}

const command = { text: 'setup demo', userId: SANDBOX.requesterId, channelId: SANDBOX.channelId, teamId: SANDBOX.teamId };
const SIX_MINUTES = 6 * 60;

test.each([
  ['forged signature', { forgeSignature: true }],
  ['timestamp 6 minutes old', { timestamp: Math.floor(Date.now() / 1000) - SIX_MINUTES }],
])('command with %s rejected', async (_name, options) => {
  harness = await startHarness();
  const bot = await harness.startBot('serve');

  const response = await sendSlashCommand(bot.url, SANDBOX.signingSecret, command, options);

  expect(response.status).toBe(401);
  expect(await harness.keys()).toEqual(expect.not.arrayContaining([expect.stringMatching(/:request:|:instance:|:requests$/)]));
  expect(await jobCount(harness.prefix)).toBe(0);
  // auth.test runs once at start-up, to learn the bot's ids; the rejected request caused no call.
  expect(harness.world.slack.calls.filter((call) => call.method !== 'auth.test')).toEqual([]);
});

test('forged click rejected', async () => {
  harness = await startHarness();
  const h = harness;
  const bot = await h.startBot('serve');
  expect((await h.command(bot, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  const callsBefore = h.world.slack.calls.length;

  const response = await sendBlockAction(
    bot.url,
    SANDBOX.signingSecret,
    {
      userId: SANDBOX.approverId,
      channelId: SANDBOX.channelId,
      teamId: SANDBOX.teamId,
      messageTs: request.ts,
      actionId: ACTION.approve,
      message: h.world.slack.messagePayload(SANDBOX.channelId, request.ts),
    },
    { forgeSignature: true },
  );

  expect(response.status).toBe(401);
  // Give a wrongly accepted click time to reach the queue before checking that nothing moved.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const methods = h.world.slack.calls.slice(callsBefore).map((call) => call.method);
  expect(methods).not.toContain('chat.update');
  expect(methods).not.toContain('chat.postEphemeral');
  expect(await h.redis.hget(`${h.prefix}:request:${requestIdOf(request)}`, 'state')).toBe('"pending"');
  expect(h.world.slack.message(SANDBOX.channelId, request.ts)?.history).toEqual([]);
  expect(h.world.authentik.providers()).toEqual([]);
});
