import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import { JOB, QUEUE_NAME, keys } from '../../src/jobs/names';
import { ACTION, BLOCK } from '../../src/slack/ids';
import { type FakeMessage } from '../../sandbox/slack';
import { SANDBOX } from '../../sandbox/world';
import { type Harness, REDIS_URL, actionsBlock, shownText, startHarness, waitFor } from '../bot-harness';

/** A pending request expires: its message says so, loses its buttons, and clicks are refused. */

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function requestIdOf(message: FakeMessage): string {
  return String(actionsBlock(message)?.block_id).replace(/^decision:/, '');
}

async function expectClickRefused(h: Harness, bot: Parameters<Harness['click']>[0], messageTs: string, pattern: RegExp): Promise<void> {
  // A client that has not redrawn the message yet still sends the old button's value and block.
  const requestId = requestIdOfTs(h, messageTs);
  const { response, responseUrlId } = await h.click(bot, {
    userId: SANDBOX.approverId,
    actionId: ACTION.approve,
    messageTs,
    value: requestId,
    blockId: BLOCK.decision(requestId),
  });
  expect(response.status).toBe(200);
  const refusal = await waitFor('the refusal', () => h.world.slack.responses(responseUrlId)[0]);
  expect(String(refusal.body?.text)).toMatch(pattern);
}

/** The request id from the first version of a message, which still had its buttons. */
function requestIdOfTs(h: Harness, messageTs: string): string {
  const message = h.world.slack.message(SANDBOX.channelId, messageTs);
  const blocks = message?.history[0]?.blocks ?? message?.blocks ?? [];
  return String(blocks.find((block) => block.type === 'actions')?.block_id).replace(/^decision:/, '');
}

test('click after expiry refused', async () => {
  harness = await startHarness();
  const h = harness;
  const bot = await h.startBot('serve');
  expect((await h.command(bot, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  const requestKey = keys.request(h.prefix, requestIdOf(request));

  // The approval window ended a minute ago.
  await h.redis.hset(requestKey, 'expiresAt', JSON.stringify(new Date(Date.now() - 60_000).toISOString()));
  await expectClickRefused(h, bot, request.ts, /This request has expired/);

  const updated = h.world.slack.message(SANDBOX.channelId, request.ts);
  expect(actionsBlock(updated)).toBeUndefined();
  expect(shownText(updated)).toContain('Expired <!date^');
  expect(await h.redis.hget(requestKey, 'state')).toBe('"expired"');
  expect(await h.redis.exists(keys.instanceLock(h.prefix, 'demo'))).toBe(0);

  // The old buttons stop working: another click is refused and changes nothing.
  await expectClickRefused(h, bot, request.ts, /already expired/);
  expect(h.world.authentik.providers()).toEqual([]);
  expect(h.world.instances[0]?.espocrm.server.requestsTo('PUT', '/api/v1/Settings')).toEqual([]);
});

test('expire job updates message', async () => {
  harness = await startHarness();
  const h = harness;
  const bot = await h.startBot('serve');
  expect((await h.command(bot, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();

  // The expire job waits for the approval window (a day by default); run it now.
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const queue = new Queue(QUEUE_NAME, { connection, prefix: h.prefix });
  try {
    const expireJob = await waitFor('the delayed expire job', async () => (await queue.getDelayed()).find((job) => job.name === JOB.expire));
    expect(expireJob.data).toEqual({ requestId: requestIdOf(request) });
    await expireJob.promote();
  } finally {
    await queue.close();
    await connection.quit();
  }

  const updated = await waitFor('the expired request message', () => {
    const message = h.world.slack.message(SANDBOX.channelId, request.ts);
    return shownText(message).includes('Expired') ? message : undefined;
  });
  expect(actionsBlock(updated)).toBeUndefined();
  expect(shownText(updated)).toContain('without a decision; the buttons no longer work');

  await expectClickRefused(h, bot, request.ts, /already expired/);
  expect(h.world.authentik.providers()).toEqual([]);

  // The instance is free again.
  expect((await h.command(bot, 'setup demo')).status).toBe(200);
  await h.waitForRequestMessage(2);
});
