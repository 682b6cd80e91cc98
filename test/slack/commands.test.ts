import { keys } from '../../src/jobs/names';
import { ACTION, BLOCK } from '../../src/slack/ids';
import { SANDBOX } from '../../sandbox/world';
import { type Harness, ackText, actionsBlock, shownText, startHarness, waitFor } from '../bot-harness';

/** Slash commands, access rules and the setup dialog, through the bot's real receiver. */

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function requestKeys(h: Harness): Promise<string[]> {
  return (await h.keys()).filter((key) => key.startsWith(`${h.prefix}:request:`) || key.startsWith(`${h.prefix}:instance:`));
}

/** Direct messages the bot sent to a user (the fake turns a user id into the D… channel). */
function directMessages(h: Harness, userId: string): string[] {
  return h.world.slack.messages(`D${userId.slice(1)}`).map((message) => shownText(message));
}

describe('commands', () => {
  test.each([
    ['', 'rolls out authentik single sign-on'],
    ['help', 'rolls out authentik single sign-on'],
    ['frobnicate', 'I do not understand "frobnicate"'],
    ['setup demo extra', 'I do not understand'],
    ['<@U123>', 'Mentions, channels and links are not instance names'],
    ['setup <@U123|bob>', 'Mentions, channels and links are not instance names'],
    ['setup <#C1|x>', 'Mentions, channels and links are not instance names'],
    ['setup <https://x|y>', 'Mentions, channels and links are not instance names'],
  ])('help for %j', async (text, expected) => {
    harness = await startHarness();
    const bot = await harness.startBot('web');

    const response = await harness.command(bot, text);

    expect(response.status).toBe(200);
    expect((response.json as { response_type?: string }).response_type).toBe('ephemeral');
    expect(ackText(response)).toContain(expected);
    expect(ackText(response)).toContain('/espo-sso setup <instance>');
    expect(await requestKeys(harness)).toEqual([]);
  });

  test('extra spaces and case accepted', async () => {
    harness = await startHarness();
    const bot = await harness.startBot('serve');

    const response = await harness.command(bot, '   SETUP \u00a0  Demo  ');

    expect(response.status).toBe(200);
    expect(ackText(response)).toContain('Planning setup for *demo*');
    const request = await harness.waitForRequestMessage();
    expect(request.text).toContain('for demo');
  });

  test('unknown instance named', async () => {
    harness = await startHarness({ instances: ['demo', 'acme'] });
    const bot = await harness.startBot('web');

    const response = await harness.command(bot, 'setup nosuch');

    expect(response.status).toBe(200);
    expect(ackText(response)).toContain('No instance named *nosuch* is configured');
    expect(ackText(response)).toContain('`demo`, `acme`');
    expect(await requestKeys(harness)).toEqual([]);
  });

  test('outsider may not request', async () => {
    harness = await startHarness();
    const bot = await harness.startBot('serve');

    const response = await harness.command(bot, 'setup demo', SANDBOX.outsiderId);

    expect(response.status).toBe(200);
    expect(ackText(response)).toContain('You may not request changes');
    expect(await requestKeys(harness)).toEqual([]);
    expect(harness.world.slack.callsTo('chat.postMessage').filter((call) => call.args.channel === SANDBOX.channelId)).toEqual([]);
  });

  test('second request links the first', async () => {
    harness = await startHarness();
    const h = harness;
    const bot = await h.startBot('serve');

    expect((await h.command(bot, 'setup demo')).status).toBe(200);
    const first = await h.waitForRequestMessage();
    const permalink = `https://espo-sso-test.slack.com/archives/${SANDBOX.channelId}/p${first.ts.replace('.', '')}`;

    const second = await h.command(bot, 'setup demo', SANDBOX.requesterId);

    expect(second.status).toBe(200);
    expect(ackText(second)).toContain(`A setup request for *demo* by <@${SANDBOX.requesterId}> is already pending.`);
    expect(ackText(second)).toContain(`<${permalink}|View it>`);
    expect(h.requestMessages()).toHaveLength(1);
    expect((await requestKeys(h)).filter((key) => key.includes(':request:'))).toHaveLength(1);
  });

  test('status and list without approval', async () => {
    harness = await startHarness();
    const h = harness;
    const bot = await h.startBot('serve');

    const status = await h.command(bot, 'status demo');
    expect(status.status).toBe(200);
    expect(ackText(status)).toContain('Reading the status of *demo*');
    const statusReply = await waitFor('the status reply', () =>
      h.world.slack.ephemerals(SANDBOX.channelId).find((ephemeral) => ephemeral.text.startsWith('demo: single sign-on')),
    );
    expect(statusReply.user).toBe(SANDBOX.requesterId);
    expect(statusReply.text).toBe('demo: single sign-on off');

    const list = await h.command(bot, 'list', SANDBOX.approverId);
    expect(list.status).toBe(200);
    expect(ackText(list)).toContain('Reading the instances');
    const listReply = await waitFor('the list reply', () =>
      h.world.slack.ephemerals(SANDBOX.channelId).find((ephemeral) => ephemeral.text === '1 instance(s)'),
    );
    expect(listReply.user).toBe(SANDBOX.approverId);
    expect(shownText(listReply)).toContain('single sign-on off');

    expect(h.requestMessages()).toEqual([]);
    expect(await requestKeys(h)).toEqual([]);
    expect(h.world.authentik.server.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  test('outsider may not read status', async () => {
    harness = await startHarness();
    const bot = await harness.startBot('serve');

    const response = await harness.command(bot, 'status demo', SANDBOX.outsiderId);

    expect(response.status).toBe(200);
    expect(ackText(response)).toContain('Only requesters and approvers');
  });

  test('broken approver group ignored for requests', async () => {
    harness = await startHarness({ access: { approvers: [SANDBOX.approverId, 'S0MISSING'] } });
    const bot = await harness.startBot('serve');

    const response = await harness.command(bot, 'setup demo');

    expect(response.status).toBe(200);
    expect(ackText(response)).toContain('Planning setup for *demo*');
    await harness.waitForRequestMessage();
  });

  test('failed group lookup blames Slack', async () => {
    harness = await startHarness({ access: { requesters: ['S0MISSING'] } });
    const bot = await harness.startBot('serve');

    const response = await harness.command(bot, 'setup demo', SANDBOX.outsiderId);

    expect(response.status).toBe(200);
    expect(ackText(response)).toContain('a Slack call failed: Slack returned the error no_such_subteam.');
    expect(ackText(response)).not.toContain('Redis');
    expect(await requestKeys(harness)).toEqual([]);
  });

  test('bot outside the channel explains the invite', async () => {
    harness = await startHarness();
    const h = harness;
    const bot = await h.startBot('serve');
    h.world.slack.leaveChannel(SANDBOX.channelId);

    const response = await h.command(bot, 'setup demo');
    expect(response.status).toBe(200);

    const told = await waitFor('a direct message to the requester', () => directMessages(h, SANDBOX.requesterId)[0]);
    expect(told).toContain(`I am not a member of <#${SANDBOX.channelId}>`);
    expect(told).toContain('/invite @espo-sso');
    // The failed request released the instance, so the command works once the bot is invited.
    expect(await h.redis.exists(keys.instanceLock(h.prefix, 'demo'))).toBe(0);
    h.world.slack.joinChannel(SANDBOX.channelId);
    expect(ackText(await h.command(bot, 'setup demo'))).toContain('Planning setup');
    await h.waitForRequestMessage();
  });
});

describe('decisions', () => {
  test('non-approver refused', async () => {
    harness = await startHarness();
    const h = harness;
    const bot = await h.startBot('serve');
    expect((await h.command(bot, 'setup demo')).status).toBe(200);
    const request = await h.waitForRequestMessage();

    const { response, responseUrlId } = await h.click(bot, { userId: SANDBOX.outsiderId, actionId: ACTION.approve, messageTs: request.ts });

    expect(response.status).toBe(200);
    const refusal = await waitFor('the refusal', () => h.world.slack.responses(responseUrlId)[0]);
    expect(refusal.effect).toBe('ephemeral');
    expect(refusal.body?.text).toContain('Only approvers may decide');
    expect(h.world.slack.message(SANDBOX.channelId, request.ts)?.history).toEqual([]);
    expect(actionsBlock(h.world.slack.message(SANDBOX.channelId, request.ts))).toBeDefined();
    expect(h.world.authentik.providers()).toEqual([]);
  });

  test('group approver accepted', async () => {
    harness = await startHarness();
    const h = harness;
    const bot = await h.startBot('serve');
    expect((await h.command(bot, 'setup demo')).status).toBe(200);
    const request = await h.waitForRequestMessage();

    const { response } = await h.click(bot, { userId: SANDBOX.groupApproverId, actionId: ACTION.approve, messageTs: request.ts });

    expect(response.status).toBe(200);
    await waitFor('the result reply', () =>
      h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => reply.text === 'setup demo: done'),
    );
    expect(shownText(h.world.slack.message(SANDBOX.channelId, request.ts))).toContain(`Approved by <@${SANDBOX.groupApproverId}>`);
    expect(h.world.slack.callsTo('usergroups.users.list').map((call) => call.args.usergroup)).toContain(SANDBOX.approverGroupId);
  });

  test('click with unknown request refused', async () => {
    harness = await startHarness();
    const h = harness;
    const bot = await h.startBot('serve');
    expect((await h.command(bot, 'setup demo')).status).toBe(200);
    const request = await h.waitForRequestMessage();

    const { response, responseUrlId } = await h.click(bot, {
      userId: SANDBOX.approverId,
      actionId: ACTION.approve,
      messageTs: request.ts,
      value: '00000000-0000-4000-8000-000000000000',
    });

    expect(response.status).toBe(200);
    const refusal = await waitFor('the refusal', () => h.world.slack.responses(responseUrlId)[0]);
    expect(refusal.body?.text).toContain('This request is unknown');
    expect(actionsBlock(h.world.slack.message(SANDBOX.channelId, request.ts))).toBeDefined();
    expect(h.world.authentik.providers()).toEqual([]);
  });
});

describe('setup dialog', () => {
  test('opens a modal without instance', async () => {
    harness = await startHarness({ instances: ['demo', 'acme'] });
    const h = harness;
    const bot = await h.startBot('serve');
    const triggerId = h.world.slack.issueTriggerId({ userId: SANDBOX.requesterId });

    const response = await h.command(bot, 'setup', SANDBOX.requesterId, { triggerId });

    expect(response.status).toBe(200);
    expect(response.body).toBe('');
    expect(h.world.slack.callsTo('views.open').map((call) => call.response.ok)).toEqual([true]);
    const views = h.world.slack.views();
    expect(views).toHaveLength(1);
    expect(views[0]?.callbackId).toBe('espo_sso_setup');
    expect(views[0]?.title).toBe('Set up SSO');
    expect(JSON.parse(views[0]?.privateMetadata ?? '{}')).toEqual({ channelId: SANDBOX.channelId });
    expect(JSON.stringify(views[0]?.view.blocks)).toContain('"value":"acme"');
  });

  test('submission without instance shows field error', async () => {
    harness = await startHarness();
    const bot = await harness.startBot('serve');
    const metadata = JSON.stringify({ channelId: SANDBOX.channelId });

    const empty = await harness.submitModal(bot, SANDBOX.requesterId, { [BLOCK.modalInstance]: { [ACTION.instanceSelect]: { type: 'static_select', selected_option: null } } }, metadata);

    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ response_action: 'errors', errors: { [BLOCK.modalInstance]: 'Pick an instance.' } });
    expect(await requestKeys(harness)).toEqual([]);
  });

  test('submission with instance plans', async () => {
    harness = await startHarness();
    const h = harness;
    const bot = await h.startBot('serve');
    const metadata = JSON.stringify({ channelId: SANDBOX.channelId });
    const values = {
      [BLOCK.modalInstance]: {
        [ACTION.instanceSelect]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'demo' }, value: 'demo' } },
      },
    };

    const submitted = await h.submitModal(bot, SANDBOX.requesterId, values, metadata);

    expect(submitted.status).toBe(200);
    expect(submitted.body).toBe('');
    const request = await h.waitForRequestMessage();
    expect(request.text).toContain(`requested by <@${SANDBOX.requesterId}>`);
  });
});
