import { keys } from '../../src/jobs/names';
import { type RequestRecord } from '../../src/jobs/request-store';
import { ACTION } from '../../src/slack/ids';
import { SANDBOX } from '../../sandbox/world';
import { type Harness, ackText, actionsBlock, shownText, startHarness, waitFor } from '../bot-harness';

/**
 * The approval flow end to end: signed slash commands and clicks to the bot's real
 * /slack/events receiver, a real Redis, and the fake Slack, authentik and EspoCRM.
 */

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const PROVIDER_POST = /^\/api\/v3\/providers\/oauth2\/$/;

function providerPosts(h: Harness): number {
  return h.world.authentik.server.requestsTo('POST', PROVIDER_POST).length;
}

function settingsPuts(h: Harness): number {
  return h.world.instances[0]?.espocrm.server.requestsTo('PUT', '/api/v1/Settings').length ?? 0;
}

async function requestRecords(h: Harness): Promise<RequestRecord[]> {
  const ids = await h.redis.zrange(keys.requestIndex(h.prefix), 0, -1);
  const records: RequestRecord[] = [];
  for (const id of ids) {
    const flat = await h.redis.hgetall(keys.request(h.prefix, id));
    records.push(Object.fromEntries(Object.entries(flat).map(([key, value]) => [key, JSON.parse(value) as unknown])) as unknown as RequestRecord);
  }
  return records;
}

test('setup approved end to end', async () => {
  harness = await startHarness();
  const h = harness;
  const bot = await h.startBot('serve');

  const command = await h.command(bot, 'setup demo');
  expect(command.status).toBe(200);
  expect(ackText(command)).toContain('Planning setup for *demo*');

  const request = await h.waitForRequestMessage();
  const buttons = actionsBlock(request)?.elements as Array<{ action_id: string; style?: string }>;
  expect(buttons.map((button) => button.action_id)).toEqual([ACTION.approve, ACTION.reject]);
  expect(request.text).toContain(`<@${SANDBOX.requesterId}>`);

  const { response } = await h.click(bot, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: request.ts });
  expect(response.status).toBe(200);

  const result = await waitFor('the result reply', () =>
    h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => /: done$|: failed$/.test(reply.text)),
  );
  expect(result.text).toBe('setup demo: done');

  // authentik: exactly one provider and one application that points at it.
  const providers = h.world.authentik.providers();
  const applications = h.world.authentik.applications();
  expect(providers).toHaveLength(1);
  expect(applications).toHaveLength(1);
  const provider = providers[0];
  expect(applications[0]?.provider).toBe(provider?.pk);
  expect(applications[0]?.slug).toBe('espocrm-demo');

  // EspoCRM: OIDC with the provider's client id and secret.
  const espocrm = h.world.instances[0]?.espocrm;
  const settings = espocrm?.settings ?? {};
  expect(settings.authenticationMethod).toBe('Oidc');
  expect(settings.oidcClientId).toBe(provider?.client_id);
  expect(settings.oidcClientSecret).toBe(provider?.client_secret);
  expect(providerPosts(h)).toBe(1);

  // The request message: decision, approver and time, and no buttons.
  const updated = h.world.slack.message(SANDBOX.channelId, request.ts);
  expect(actionsBlock(updated)).toBeUndefined();
  expect(shownText(updated)).toContain(`Approved by <@${SANDBOX.approverId}> <!date^`);
  expect(updated?.history.length).toBeGreaterThanOrEqual(1);

  // One progress reply, edited step by step, then the result as a new reply.
  const replies = updated?.replies ?? [];
  const progress = replies.filter((reply) => reply.text.startsWith('Progress'));
  expect(progress).toHaveLength(1);
  expect(progress[0]?.history.length).toBeGreaterThanOrEqual(4);
  expect(shownText(progress[0])).not.toContain(':hourglass_flowing_sand:');
  expect(replies.map((reply) => reply.ts)).toEqual([progress[0]?.ts, result.ts]);
  expect(shownText(result)).toContain(`Client id: \`${provider?.client_id}\``);
  expect(shownText(result)).toContain(`Login page: ${espocrm?.url}`);

  // The request succeeded and released the instance.
  const records = await requestRecords(h);
  expect(records.map((record) => record.state)).toEqual(['succeeded']);
  expect(await h.redis.exists(keys.instanceLock(h.prefix, 'demo'))).toBe(0);
});

test('reject provisions nothing and unlocks', async () => {
  harness = await startHarness();
  const h = harness;
  const bot = await h.startBot('serve');

  expect((await h.command(bot, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  const { response } = await h.click(bot, { userId: SANDBOX.approverId, actionId: ACTION.reject, messageTs: request.ts });
  expect(response.status).toBe(200);

  const updated = await waitFor('the rejected request message', () => {
    const message = h.world.slack.message(SANDBOX.channelId, request.ts);
    return shownText(message).includes('Rejected by') ? message : undefined;
  });
  expect(actionsBlock(updated)).toBeUndefined();
  expect(shownText(updated)).toContain(`Rejected by <@${SANDBOX.approverId}> <!date^`);
  expect((await requestRecords(h)).map((record) => record.state)).toEqual(['rejected']);
  expect(await h.redis.exists(keys.instanceLock(h.prefix, 'demo'))).toBe(0);

  // A new request for the same instance is accepted and planned.
  const again = await h.command(bot, 'setup demo');
  expect(again.status).toBe(200);
  expect(ackText(again)).toContain('Planning setup');
  await h.waitForRequestMessage(2);

  expect(h.world.authentik.providers()).toHaveLength(0);
  expect(h.world.authentik.applications()).toHaveLength(0);
  expect(providerPosts(h)).toBe(0);
  expect(settingsPuts(h)).toBe(0);
  expect(h.world.instances[0]?.espocrm.settings.authenticationMethod).not.toBe('Oidc');
});

test('self-approval refused', async () => {
  harness = await startHarness({ access: { approvers: [SANDBOX.approverId, SANDBOX.requesterId] } });
  const h = harness;
  const bot = await h.startBot('serve');

  expect((await h.command(bot, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  const { response, responseUrlId } = await h.click(bot, { userId: SANDBOX.requesterId, actionId: ACTION.approve, messageTs: request.ts });
  expect(response.status).toBe(200);

  const refusal = await waitFor('the refusal', () => h.world.slack.responses(responseUrlId)[0]);
  expect(refusal.effect).toBe('ephemeral');
  expect(refusal.body?.text).toContain('You cannot approve your own request');
  const ephemerals = h.world.slack.ephemerals(SANDBOX.channelId).filter((ephemeral) => ephemeral.user === SANDBOX.requesterId);
  expect(ephemerals.map((ephemeral) => ephemeral.text)).toEqual([expect.stringContaining('You cannot approve your own request')]);

  // Nothing changed: the message still has its buttons, the request is pending, nothing applied.
  const message = h.world.slack.message(SANDBOX.channelId, request.ts);
  expect(message?.history).toHaveLength(0);
  expect(actionsBlock(message)).toBeDefined();
  expect((await requestRecords(h)).map((record) => record.state)).toEqual(['pending']);
  expect(providerPosts(h)).toBe(0);
  expect(settingsPuts(h)).toBe(0);
});

test('self-approval allowed by configuration', async () => {
  harness = await startHarness({ access: { approvers: [SANDBOX.requesterId], allowSelfApproval: true } });
  const h = harness;
  const bot = await h.startBot('serve');

  expect((await h.command(bot, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  const { response } = await h.click(bot, { userId: SANDBOX.requesterId, actionId: ACTION.approve, messageTs: request.ts });
  expect(response.status).toBe(200);

  const result = await waitFor('the result reply', () =>
    h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => reply.text === 'setup demo: done'),
  );
  expect(result).toBeDefined();
  expect(shownText(h.world.slack.message(SANDBOX.channelId, request.ts))).toContain(`Approved by <@${SANDBOX.requesterId}>`);
  expect(h.world.authentik.providers()).toHaveLength(1);
});

test('simultaneous approvals apply once', async () => {
  harness = await startHarness({ access: { approvers: [SANDBOX.approverId, SANDBOX.approverGroupId] } });
  const h = harness;
  const bot = await h.startBot('serve');

  expect((await h.command(bot, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  const clicks = await Promise.all([
    h.click(bot, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: request.ts }),
    h.click(bot, { userId: SANDBOX.groupApproverId, actionId: ACTION.approve, messageTs: request.ts }),
    h.click(bot, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: request.ts }),
  ]);
  for (const click of clicks) expect(click.response.status).toBe(200);

  await waitFor('the result reply', () =>
    h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => reply.text === 'setup demo: done'),
  );
  // The losing clicks get a reply that the request was already decided.
  const refusals = await waitFor('two refusals', () => {
    const posts = clicks.flatMap((click) => h.world.slack.responses(click.responseUrlId));
    return posts.length >= 2 ? posts : undefined;
  });
  expect(refusals.map((post) => post.body?.text)).toEqual([
    expect.stringMatching(/already (approved|applying|succeeded)/),
    expect.stringMatching(/already (approved|applying|succeeded)/),
  ]);

  // Give a second apply, if one had been queued, time to run before counting.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(providerPosts(h)).toBe(1);
  expect(settingsPuts(h)).toBe(1);
  expect(h.world.authentik.providers()).toHaveLength(1);
  const results = h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.filter((reply) => reply.text.startsWith('setup demo:'));
  expect(results).toHaveLength(1);
});

test('bot restarted before approval', async () => {
  harness = await startHarness();
  const h = harness;
  const first = await h.startBot('serve');
  expect((await h.command(first, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  await h.stopBot(first);

  const second = await h.startBot('serve');
  const { response } = await h.click(second, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: request.ts });
  expect(response.status).toBe(200);

  const result = await waitFor('the result reply', () =>
    h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => /: done$|: failed$/.test(reply.text)),
  );
  expect(result.text).toBe('setup demo: done');
  expect(h.world.authentik.providers()).toHaveLength(1);
  expect(h.world.instances[0]?.espocrm.settings.oidcClientId).toBe(h.world.authentik.providers()[0]?.client_id);
});

test('approval kept when message update fails', async () => {
  harness = await startHarness();
  const h = harness;
  const web = await h.startBot('web');
  const planner = await h.startBot('worker');
  expect((await h.command(web, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  await h.stopBot(planner);

  // Slack rejects the redraw of the request message for longer than the bot waits.
  h.world.slack.rateLimit('chat.update', { times: 1, retryAfterSeconds: 120 });
  const { response, responseUrlId } = await h.click(web, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: request.ts });
  expect(response.status).toBe(200);

  const told = await waitFor('the reply to the approver', () => h.world.slack.responses(responseUrlId)[0]);
  expect(told.body?.text).toContain('Approved: the apply is queued');
  expect(told.body?.text).not.toContain('Nothing was changed');
  const records = await requestRecords(h);
  expect(records.map((record) => record.state)).toEqual(['approved']);

  // The apply still runs, and its thread shows the result.
  await h.startBot('worker');
  const result = await waitFor('the result reply', () =>
    h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => /: done$|: failed$/.test(reply.text)),
  );
  expect(result.text).toBe('setup demo: done');
});
