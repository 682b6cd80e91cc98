import { createHmac } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';

import { App, HTTPReceiver } from '@slack/bolt';

import {
  FakeSlack,
  sendBlockAction,
  sendSigned,
  sendSlashCommand,
  sendViewSubmission,
  signSlackRequest,
} from '../../../sandbox/slack';
import { clientFor, silentLogger } from './helpers';

const SECRET = 'test-signing-secret';
const CHANNEL = 'C0APPROVALS';

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('signSlackRequest', () => {
  it('matches an independent HMAC', () => {
    const body = 'token=x&team_id=T1&command=%2Fespo-sso&text=enable+crm-acme';
    const expected = createHmac('sha256', SECRET).update(`v0:1733000000:${body}`).digest('hex');

    const headers = signSlackRequest(SECRET, body, 1733000000);

    expect(headers['X-Slack-Signature']).toBe(`v0=${expected}`);
    expect(headers['X-Slack-Request-Timestamp']).toBe('1733000000');
  });

  it('matches a fixed signature', () => {
    // Computed with `printf 'v0:1531420618:hello' | openssl dgst -sha256 -hmac test-signing-secret`.
    const headers = signSlackRequest(SECRET, 'hello', 1531420618);

    expect(headers['X-Slack-Signature']).toBe('v0=95c22da7da7a82896cf49b915111eabf8bccc3f472eeb8f4ecd7c0d3fa4d4592');
  });

  it('refuses a non-loopback bot URL', async () => {
    await expect(sendSigned('http://example.com', SECRET, 'a=b')).rejects.toThrow(/only loopback hosts/);
  });
});

describe('signed requests against a Bolt HTTPReceiver', () => {
  let fake: FakeSlack;
  let app: App;
  let botUrl: string;
  let agent: http.Agent;
  const commands: Array<Record<string, string>> = [];
  const actions: unknown[] = [];
  const submissions: unknown[] = [];

  beforeAll(async () => {
    fake = new FakeSlack({ users: [{ id: 'U0ALICE', name: 'alice' }] });
    await fake.start();

    const receiver = new HTTPReceiver({ signingSecret: SECRET, logger: silentLogger });
    app = new App({ token: 'xoxb-test', receiver, logger: silentLogger, clientOptions: { slackApiUrl: fake.apiUrl } });

    app.command('/espo-sso', async ({ ack, command, client, respond }) => {
      await ack();
      commands.push({ ...command });
      await client.chat.postMessage({ channel: command.channel_id, text: `Request received: ${command.text}` });
      await respond({ text: 'Your request is queued' });
    });
    app.action('approve', async ({ ack, body }) => {
      await ack();
      actions.push(body);
    });
    app.view('sso_request', async ({ ack, view }) => {
      submissions.push(view);
      await ack({ response_action: 'errors', errors: { instance: 'Unknown EspoCRM instance' } });
    });

    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as http.Server;
    botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = new http.Agent({ keepAlive: true });
  });

  afterAll(async () => {
    agent.destroy();
    await app.stop();
    await fake.stop();
  });

  it('delivers a signed slash command', async () => {
    const responseUrl = fake.responseUrl('cmd-1', { channel: CHANNEL, userId: 'U0ALICE' });

    const response = await sendSlashCommand(
      botUrl,
      SECRET,
      { command: '/espo-sso', text: 'enable crm-acme', userId: 'U0ALICE', userName: 'alice', channelId: CHANNEL, responseUrl },
      { agent },
    );

    expect(response.status).toBe(200);
    await waitFor(() => fake.ephemerals().length === 1);
    expect(commands.at(-1)).toMatchObject({
      command: '/espo-sso',
      text: 'enable crm-acme',
      user_id: 'U0ALICE',
      user_name: 'alice',
      channel_id: CHANNEL,
      team_id: 'T0FAKETEAM',
      response_url: responseUrl,
    });
    expect(fake.messages(CHANNEL).map((message) => message.text)).toContain('Request received: enable crm-acme');
    expect(fake.ephemerals()[0]).toMatchObject({ user: 'U0ALICE', text: 'Your request is queued' });
    expect(fake.callsTo('auth.test').length).toBeGreaterThanOrEqual(1);
  });

  it('rejects a forged signature with 401', async () => {
    const before = commands.length;

    const response = await sendSlashCommand(
      botUrl,
      SECRET,
      { command: '/espo-sso', text: 'enable crm-acme', userId: 'U0ALICE', channelId: CHANNEL },
      { agent, forgeSignature: true },
    );

    expect(response.status).toBe(401);
    expect(commands).toHaveLength(before);
  });

  it('rejects a stale timestamp with 401', async () => {
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;

    const response = await sendSlashCommand(
      botUrl,
      SECRET,
      { command: '/espo-sso', text: 'status', userId: 'U0ALICE', channelId: CHANNEL },
      { agent, timestamp: sixMinutesAgo },
    );

    expect(response.status).toBe(401);
  });

  it('delivers a block action with the clicked message', async () => {
    const client = clientFor(fake);
    const posted = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'Approve SSO?',
      blocks: [
        {
          type: 'actions',
          block_id: 'decision',
          elements: [{ type: 'button', action_id: 'approve', style: 'primary', value: 'req-7', text: { type: 'plain_text', text: 'Approve' } }],
        },
      ],
    });

    const response = await sendBlockAction(
      botUrl,
      SECRET,
      { userId: 'U0ALICE', channelId: CHANNEL, messageTs: posted.ts as string, actionId: 'approve', message: fake.messagePayload(CHANNEL, posted.ts as string) },
      { agent },
    );

    expect(response.status).toBe(200);
    expect(actions.at(-1)).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE' },
      container: { type: 'message', message_ts: posted.ts, channel_id: CHANNEL, is_ephemeral: false },
      channel: { id: CHANNEL },
      message: { ts: posted.ts, text: 'Approve SSO?' },
      actions: [{ action_id: 'approve', block_id: 'decision', value: 'req-7', type: 'button', style: 'primary' }],
    });
  });

  it('returns the view_submission acknowledgement body', async () => {
    const response = await sendViewSubmission(
      botUrl,
      SECRET,
      {
        userId: 'U0ALICE',
        view: {
          callback_id: 'sso_request',
          private_metadata: '{"channel":"C0APPROVALS"}',
          state: { values: { instance: { value: { type: 'plain_text_input', value: 'crm-nope' } } } },
        },
      },
      { agent },
    );

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ response_action: 'errors', errors: { instance: 'Unknown EspoCRM instance' } });
    expect(submissions.at(-1)).toMatchObject({ callback_id: 'sso_request', private_metadata: '{"channel":"C0APPROVALS"}' });
  });
});
