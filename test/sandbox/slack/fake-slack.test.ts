import { webApi } from '@slack/bolt';

import { FakeSlack, MAX_BLOCKS_JSON_LENGTH } from '../../../sandbox/slack';
import { clientFor, platformError } from './helpers';

const APPROVALS = 'C0APPROVALS';

const approvalBlocks = [
  { type: 'header', block_id: 'title', text: { type: 'plain_text', text: 'SSO rollout requested' } },
  { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: '<@U0ALICE> wants SSO on *crm-acme*' } },
  {
    type: 'actions',
    block_id: 'decision',
    elements: [
      { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: 'req-1' },
      { type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value: 'req-1' },
    ],
  },
];

function section(text: string): { type: 'section'; text: { type: 'mrkdwn'; text: string } } {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

describe('FakeSlack Web API', () => {
  let fake: FakeSlack;
  let client: webApi.WebClient;

  beforeEach(async () => {
    fake = new FakeSlack({
      channels: [
        { id: APPROVALS, name: 'sso-approvals' },
        { id: 'C0RANDOM', name: 'random' },
        { id: 'G0SECRET', name: 'secret', isPrivate: true },
      ],
      botChannels: [APPROVALS],
      users: [
        { id: 'U0ALICE', name: 'alice', realName: 'Alice Admin', email: 'alice@example.test' },
        { id: 'U0BOB', name: 'bob' },
      ],
      userGroups: [{ id: 'S0SSOADMINS', handle: 'sso-admins', users: ['U0ALICE', 'U0BOB'] }],
    });
    await fake.start();
    client = clientFor(fake);
  });

  afterEach(async () => {
    await fake.stop();
  });

  describe('chat.postMessage', () => {
    it('records exact arguments and returns ts', async () => {
      const result = await client.chat.postMessage({ channel: APPROVALS, text: 'SSO rollout requested', blocks: approvalBlocks });

      expect(result.ok).toBe(true);
      expect(result.ts).toBe('1733000000.000100');
      expect(result.channel).toBe(APPROVALS);
      expect(result.message?.blocks).toEqual(approvalBlocks);
      expect(fake.calls).toHaveLength(1);
      expect(fake.calls[0]?.method).toBe('chat.postMessage');
      expect(fake.calls[0]?.args).toEqual({ channel: APPROVALS, text: 'SSO rollout requested', blocks: approvalBlocks });
      expect(fake.calls[0]?.status).toBe(200);
    });

    it('sends the bot token as a bearer header', async () => {
      await client.chat.postMessage({ channel: APPROVALS, text: 'hello' });

      const request = fake.server.requestsTo('POST', '/api/chat.postMessage')[0];
      expect(request?.headers.authorization).toBe('Bearer xoxb-test');
      expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    });

    it('issues unique increasing ts values', async () => {
      const first = await client.chat.postMessage({ channel: APPROVALS, text: 'one' });
      const second = await client.chat.postMessage({ channel: APPROVALS, text: 'two' });
      const reply = await client.chat.postMessage({ channel: APPROVALS, text: 'three', thread_ts: first.ts as string });

      expect(second.ts).toBe('1733000000.000200');
      expect(Number(reply.ts)).toBeGreaterThan(Number(second.ts));
      expect(new Set([first.ts, second.ts, reply.ts]).size).toBe(3);
    });

    it('rejects a message without text or blocks', async () => {
      expect(await platformError(client.chat.postMessage({ channel: APPROVALS, text: '' }))).toBe('no_text');
      expect(await platformError(client.chat.postMessage({ channel: APPROVALS, text: '', blocks: [] }))).toBe('no_text');
      expect(fake.messages()).toHaveLength(0);
    });

    it('rejects an empty section text', async () => {
      const call = client.chat.postMessage({ channel: APPROVALS, text: 'fallback', blocks: [section('')] });

      let data: webApi.WebAPIPlatformError['data'] | undefined;
      try {
        await call;
      } catch (error) {
        data = (error as webApi.WebAPIPlatformError).data;
      }
      expect(data?.error).toBe('invalid_blocks');
      expect(data?.response_metadata?.messages).toEqual(['[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]']);
    });

    it('rejects two primary buttons in one actions block', async () => {
      const blocks = [
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'A' }, style: 'primary' },
            { type: 'button', action_id: 'b', text: { type: 'plain_text', text: 'B' }, style: 'primary' },
          ],
        },
      ];

      expect(await platformError(client.chat.postMessage({ channel: APPROVALS, text: 'x', blocks }))).toBe('invalid_blocks');
    });

    it('rejects an oversized section text', async () => {
      const blocks = [section('x'.repeat(3001))];

      expect(await platformError(client.chat.postMessage({ channel: APPROVALS, text: 'x', blocks }))).toBe('invalid_blocks');
      await expect(client.chat.postMessage({ channel: APPROVALS, text: 'x', blocks: [section('x'.repeat(3000))] })).resolves.toMatchObject({ ok: true });
    });

    it('rejects blocks longer than the size limit', async () => {
      const blocks = Array.from({ length: 5 }, () => section('y'.repeat(2900)));
      expect(JSON.stringify(blocks).length).toBeGreaterThan(MAX_BLOCKS_JSON_LENGTH);

      expect(await platformError(client.chat.postMessage({ channel: APPROVALS, text: 'x', blocks }))).toBe('msg_blocks_too_long');
    });

    it('rejects channels the bot is not in', async () => {
      expect(await platformError(client.chat.postMessage({ channel: 'C0RANDOM', text: 'x' }))).toBe('not_in_channel');
      expect(await platformError(client.chat.postMessage({ channel: 'G0SECRET', text: 'x' }))).toBe('channel_not_found');
      expect(await platformError(client.chat.postMessage({ channel: 'C0UNKNOWN', text: 'x' }))).toBe('channel_not_found');
    });

    it('accepts a channel after the bot joins', async () => {
      fake.joinChannel('C0RANDOM');

      await expect(client.chat.postMessage({ channel: 'C0RANDOM', text: 'x' })).resolves.toMatchObject({ ok: true, channel: 'C0RANDOM' });
    });

    it('resolves a channel name', async () => {
      const result = await client.chat.postMessage({ channel: '#sso-approvals', text: 'x' });

      expect(result.channel).toBe(APPROVALS);
    });

    it('opens a direct message for a user ID', async () => {
      const result = await client.chat.postMessage({ channel: 'U0ALICE', text: 'x' });

      expect(result.channel).toBe('D0ALICE');
    });
  });

  describe('threads', () => {
    it('keeps replies in thread order', async () => {
      const parent = await client.chat.postMessage({ channel: APPROVALS, text: 'parent' });
      await client.chat.postMessage({ channel: APPROVALS, text: 'first reply', thread_ts: parent.ts as string });
      await client.chat.postMessage({ channel: APPROVALS, text: 'second reply', thread_ts: parent.ts as string });

      const messages = fake.messages(APPROVALS);
      expect(messages).toHaveLength(1);
      expect(messages[0]?.replies.map((reply) => reply.text)).toEqual(['first reply', 'second reply']);
      expect(messages[0]?.replies[0]?.threadTs).toBe(parent.ts);
    });

    it("rejects a reply's ts as thread_ts", async () => {
      const parent = await client.chat.postMessage({ channel: APPROVALS, text: 'parent' });
      const reply = await client.chat.postMessage({ channel: APPROVALS, text: 'reply', thread_ts: parent.ts as string });

      const error = await platformError(client.chat.postMessage({ channel: APPROVALS, text: 'nested', thread_ts: reply.ts as string }));

      expect(error).toBe('invalid_thread_ts');
    });

    it('rejects an unknown thread_ts', async () => {
      const error = await platformError(client.chat.postMessage({ channel: APPROVALS, text: 'x', thread_ts: '1.000001' }));

      expect(error).toBe('thread_not_found');
    });

    it('updates a reply in place', async () => {
      const parent = await client.chat.postMessage({ channel: APPROVALS, text: 'parent' });
      const reply = await client.chat.postMessage({ channel: APPROVALS, text: 'running', thread_ts: parent.ts as string });

      await client.chat.update({ channel: APPROVALS, ts: reply.ts as string, text: 'done' });

      const replies = fake.messages(APPROVALS)[0]?.replies ?? [];
      expect(replies[0]?.text).toBe('done');
      expect(replies[0]?.history.map((version) => version.text)).toEqual(['running']);
    });
  });

  describe('chat.update', () => {
    it('replaces text and blocks', async () => {
      const posted = await client.chat.postMessage({ channel: APPROVALS, text: 'pending', blocks: approvalBlocks });

      const updated = await client.chat.update({ channel: APPROVALS, ts: posted.ts as string, text: 'approved', blocks: [section('Approved by <@U0BOB>')] });

      expect(updated.ts).toBe(posted.ts);
      const message = fake.message(APPROVALS, posted.ts as string);
      expect(message?.text).toBe('approved');
      expect(message?.blocks).toEqual([section('Approved by <@U0BOB>')]);
      expect(message?.history).toHaveLength(1);
      expect(message?.history[0]?.blocks).toEqual(approvalBlocks);
    });

    it('keeps blocks when only text changes', async () => {
      const posted = await client.chat.postMessage({ channel: APPROVALS, text: 'pending', blocks: approvalBlocks });

      await client.chat.update({ channel: APPROVALS, ts: posted.ts as string, text: 'still pending' });

      expect(fake.message(APPROVALS, posted.ts as string)?.blocks).toEqual(approvalBlocks);
    });

    it('rejects an unknown ts', async () => {
      const error = await platformError(client.chat.update({ channel: APPROVALS, ts: '1733000000.999999', text: 'x' }));

      expect(error).toBe('message_not_found');
    });
  });

  describe('other chat methods', () => {
    it('records ephemerals', async () => {
      const result = await client.chat.postEphemeral({ channel: APPROVALS, user: 'U0ALICE', text: 'Only you can see this' });

      expect(result.message_ts).toBe('1733000000.000100');
      expect(fake.ephemerals()).toEqual([
        expect.objectContaining({ channel: APPROVALS, user: 'U0ALICE', text: 'Only you can see this', source: 'chat.postEphemeral' }),
      ]);
      expect(fake.messages()).toHaveLength(0);
    });

    it('returns permalinks for messages and replies', async () => {
      const parent = await client.chat.postMessage({ channel: APPROVALS, text: 'parent' });
      const reply = await client.chat.postMessage({ channel: APPROVALS, text: 'reply', thread_ts: parent.ts as string });

      const parentLink = await client.chat.getPermalink({ channel: APPROVALS, message_ts: parent.ts as string });
      const replyLink = await client.chat.getPermalink({ channel: APPROVALS, message_ts: reply.ts as string });

      expect(parentLink.permalink).toBe('https://espo-sso-test.slack.com/archives/C0APPROVALS/p1733000000000100');
      expect(replyLink.permalink).toBe(
        'https://espo-sso-test.slack.com/archives/C0APPROVALS/p1733000000000200?thread_ts=1733000000.000100&cid=C0APPROVALS',
      );
      expect(await platformError(client.chat.getPermalink({ channel: APPROVALS, message_ts: '1.000001' }))).toBe('message_not_found');
    });
  });

  describe('authentication and routing', () => {
    it('rejects a wrong token', async () => {
      const error = await platformError(clientFor(fake, 'xoxb-wrong').auth.test());

      expect(error).toBe('invalid_auth');
    });

    it('rejects a missing token', async () => {
      const anonymous = new webApi.WebClient(undefined, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });

      expect(await platformError(anonymous.auth.test())).toBe('not_authed');
    });

    it('returns bot identity from auth.test', async () => {
      const result = await client.auth.test();

      expect(result).toMatchObject({ ok: true, team_id: 'T0FAKETEAM', user_id: 'U0FAKEBOT', bot_id: 'B0FAKEBOT' });
    });

    it('rejects an unknown method', async () => {
      expect(await platformError(client.apiCall('chat.fly', { channel: APPROVALS }))).toBe('unknown_method');
    });

    it('accepts a JSON body', async () => {
      const response = await fetch(`${fake.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: 'Bearer xoxb-test' },
        body: JSON.stringify({ channel: APPROVALS, text: 'json', blocks: approvalBlocks, unfurl_links: false }),
      });

      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ ok: true, channel: APPROVALS });
      expect(fake.calls[0]?.args).toEqual({ channel: APPROVALS, text: 'json', blocks: approvalBlocks, unfurl_links: false });
    });

    it('accepts a token in a form body', async () => {
      const body = new URLSearchParams({ token: 'xoxb-test', channel: APPROVALS, text: 'form', blocks: JSON.stringify(approvalBlocks) });

      const response = await fetch(`${fake.apiUrl}chat.postMessage`, { method: 'POST', body });

      expect(await response.json()).toMatchObject({ ok: true });
      expect(fake.calls[0]?.args).toEqual({ channel: APPROVALS, text: 'form', blocks: approvalBlocks });
    });

    it('rejects blocks that are not JSON', async () => {
      const body = new URLSearchParams({ token: 'xoxb-test', channel: APPROVALS, text: 'form', blocks: '[{' });

      const response = await fetch(`${fake.apiUrl}chat.postMessage`, { method: 'POST', body });

      expect(await response.json()).toEqual({ ok: false, error: 'invalid_blocks_format' });
    });
  });

  describe('rate limits', () => {
    it('returns 429 with Retry-After', async () => {
      fake.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 7 });

      let caught: unknown;
      try {
        await client.chat.postMessage({ channel: APPROVALS, text: 'x' });
      } catch (error) {
        caught = error;
      }

      expect((caught as webApi.WebAPIRateLimitedError).code).toBe(webApi.ErrorCode.RateLimitedError);
      expect((caught as webApi.WebAPIRateLimitedError).retryAfter).toBe(7);
      expect(fake.calls[0]?.status).toBe(429);
      expect(fake.server.requests[0]?.status).toBe(429);
      expect(fake.messages()).toHaveLength(0);
      await expect(client.chat.postMessage({ channel: APPROVALS, text: 'x' })).resolves.toMatchObject({ ok: true });
    });

    it('limits only the named method', async () => {
      fake.rateLimit('chat.update', { times: 2, retryAfterSeconds: 1 });

      await expect(client.chat.postMessage({ channel: APPROVALS, text: 'x' })).resolves.toMatchObject({ ok: true });
    });

    it('lets a retrying client succeed', async () => {
      fake.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 1 });
      const retrying = clientFor(fake, 'xoxb-test', { rejectRateLimitedCalls: false, retryConfig: { retries: 1, factor: 1, minTimeout: 0 } });

      const result = await retrying.chat.postMessage({ channel: APPROVALS, text: 'x' });

      expect(result.ok).toBe(true);
      expect(fake.calls.map((call) => call.status)).toEqual([429, 200]);
      expect((fake.calls[1]?.at ?? 0) - (fake.calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    });
  });

  describe('injected faults', () => {
    it('returns injected 503 before parsing', async () => {
      fake.server.injectFault({ path: '/api/chat.postMessage', sequence: [503] });

      await expect(client.chat.postMessage({ channel: APPROVALS, text: 'x' })).rejects.toMatchObject({
        code: webApi.ErrorCode.HTTPError,
        statusCode: 503,
      });
      expect(fake.calls).toHaveLength(0);
      await expect(client.chat.postMessage({ channel: APPROVALS, text: 'x' })).resolves.toMatchObject({ ok: true });
    });
  });

  describe('directory methods', () => {
    it('lists user group members', async () => {
      const result = await client.usergroups.users.list({ usergroup: 'S0SSOADMINS' });

      expect(result.users).toEqual(['U0ALICE', 'U0BOB']);
    });

    it('reflects changed user groups', async () => {
      fake.setUserGroup({ id: 'S0SSOADMINS', handle: 'sso-admins', users: ['U0BOB'] });

      const result = await client.usergroups.users.list({ usergroup: 'S0SSOADMINS' });

      expect(result.users).toEqual(['U0BOB']);
    });

    it('rejects an unknown user group', async () => {
      expect(await platformError(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).toBe('no_such_subteam');
    });

    it('lists user groups', async () => {
      const result = await client.usergroups.list({ include_users: true });

      expect(result.usergroups).toEqual([
        expect.objectContaining({ id: 'S0SSOADMINS', handle: 'sso-admins', user_count: 2, users: ['U0ALICE', 'U0BOB'] }),
      ]);
    });

    it('returns user info', async () => {
      const result = await client.users.info({ user: 'U0ALICE' });

      expect(result.user).toMatchObject({ id: 'U0ALICE', name: 'alice', real_name: 'Alice Admin', profile: { email: 'alice@example.test' } });
      expect(await platformError(client.users.info({ user: 'U0NOBODY' }))).toBe('user_not_found');
    });

    it('returns channel info', async () => {
      const member = await client.conversations.info({ channel: APPROVALS });
      const outsider = await client.conversations.info({ channel: 'C0RANDOM' });

      expect(member.channel).toMatchObject({ id: APPROVALS, name: 'sso-approvals', is_member: true, is_private: false });
      expect(outsider.channel).toMatchObject({ id: 'C0RANDOM', is_member: false });
      expect(await platformError(client.conversations.info({ channel: 'G0SECRET' }))).toBe('channel_not_found');
    });
  });
});

describe('FakeSlack without seeded channels', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = new FakeSlack();
    await fake.start();
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('accepts any channel by default', async () => {
    const result = await clientFor(fake).chat.postMessage({ channel: 'C0ANYWHERE', text: 'x' });

    expect(result.channel).toBe('C0ANYWHERE');
  });

  it('rejects a channel the bot left', async () => {
    fake.leaveChannel('C0ANYWHERE');

    expect(await platformError(clientFor(fake).chat.postMessage({ channel: 'C0ANYWHERE', text: 'x' }))).toBe('not_in_channel');
  });

  it('accepts a custom bot token only', async () => {
    await fake.stop();
    fake = new FakeSlack({ botToken: 'xoxb-custom' });
    await fake.start();

    await expect(clientFor(fake, 'xoxb-custom').auth.test()).resolves.toMatchObject({ ok: true });
    expect(await platformError(clientFor(fake).auth.test())).toBe('invalid_auth');
  });
});
