import { type webApi } from '@slack/bolt';

import { FakeSlack, renderTranscript } from '../../../sandbox/slack';
import { clientFor } from './helpers';

const CHANNEL = 'C0APPROVALS';

const requestBlocks: webApi.KnownBlock[] = [
  { type: 'header', text: { type: 'plain_text', text: 'SSO rollout requested' } },
  {
    type: 'section',
    text: { type: 'mrkdwn', text: '<@U0ALICE> wants SSO on *crm-acme*\nApprovers: <!subteam^S0ADMINS>' },
    fields: [{ type: 'mrkdwn', text: '*Instance*\ncrm-acme' }],
  },
  { type: 'divider' },
  { type: 'context', elements: [{ type: 'mrkdwn', text: 'Request req-1' }] },
  {
    type: 'actions',
    elements: [
      { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: 'req-1' },
      { type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value: 'req-1' },
    ],
  },
];

describe('renderTranscript', () => {
  let fake: FakeSlack;
  let client: webApi.WebClient;

  beforeEach(async () => {
    fake = new FakeSlack({
      channels: [
        { id: CHANNEL, name: 'sso-approvals' },
        { id: 'C0RANDOM', name: 'random' },
      ],
      users: [
        { id: 'U0ALICE', name: 'alice' },
        { id: 'U0BOB', name: 'bob' },
      ],
      userGroups: [{ id: 'S0ADMINS', handle: 'sso-admins', users: ['U0BOB'] }],
    });
    await fake.start();
    client = clientFor(fake);
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('renders messages, threads and ephemerals', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'SSO rollout requested for crm-acme', blocks: requestBlocks });
    await client.chat.postMessage({ channel: CHANNEL, thread_ts: parent.ts as string, text: 'Approved by <@U0BOB>.' });
    await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: parent.ts as string,
      text: 'Done: <https://crm-acme.example.test|crm-acme> signs in through authentik.',
    });
    await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE', text: 'Your request is queued' });

    expect(renderTranscript(fake)).toBe(
      [
        '#sso-approvals (C0APPROVALS)',
        '  - 1733000000.000100 @espo-sso',
        '    text: SSO rollout requested for crm-acme',
        '    | # SSO rollout requested',
        '    | @alice wants SSO on *crm-acme*',
        '    | Approvers: @sso-admins',
        '    |   • *Instance* / crm-acme',
        '    | ----------------------------------------',
        '    | Request req-1',
        '    | [ Approve ] (primary)  [ Reject ] (danger)',
        '    thread (2 replies):',
        '      - 1733000000.000200 @espo-sso',
        '        Approved by @bob.',
        '      - 1733000000.000300 @espo-sso',
        '        Done: crm-acme (https://crm-acme.example.test) signs in through authentik.',
        '',
        'Ephemeral messages (only the recipient sees them)',
        '  - 1733000000.000400 to @alice in #sso-approvals (C0APPROVALS)',
        '    Your request is queued',
        '',
      ].join('\n'),
    );
  });

  it('shows the current version of an edited message', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'pending', blocks: requestBlocks });
    await client.chat.update({ channel: CHANNEL, ts: posted.ts as string, text: 'approved', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved' } }] });

    const transcript = renderTranscript(fake);

    expect(transcript).toContain('  - 1733000000.000100 @espo-sso (edited 1x)\n    text: approved\n    | Approved\n');
    expect(transcript).not.toContain('[ Approve ]');
    expect(renderTranscript(fake, { includeHistory: true })).toContain('[ Approve ] (primary)');
  });

  it('marks deleted messages', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'oops' });
    await client.chat.delete({ channel: CHANNEL, ts: posted.ts as string });

    expect(renderTranscript(fake)).toContain('(message deleted)');
    expect(renderTranscript(fake)).not.toContain('oops');
  });

  it('filters by channel', async () => {
    await client.chat.postMessage({ channel: CHANNEL, text: 'approvals' });
    await client.chat.postMessage({ channel: 'C0RANDOM', text: 'elsewhere' });

    const transcript = renderTranscript(fake, { channel: 'C0RANDOM' });

    expect(transcript).toContain('elsewhere');
    expect(transcript).not.toContain('approvals');
  });

  it('keeps raw mentions on request', async () => {
    await client.chat.postMessage({ channel: CHANNEL, text: 'Hi <@U0ALICE>' });

    expect(renderTranscript(fake, { resolveMentions: false })).toContain('Hi <@U0ALICE>');
  });

  it('renders modals', async () => {
    await client.views.open({
      trigger_id: fake.issueTriggerId({ userId: 'U0ALICE' }),
      view: {
        type: 'modal',
        callback_id: 'sso_request',
        title: { type: 'plain_text', text: 'Request SSO' },
        submit: { type: 'plain_text', text: 'Request' },
        blocks: [
          {
            type: 'input',
            block_id: 'instance',
            label: { type: 'plain_text', text: 'EspoCRM instance' },
            element: { type: 'plain_text_input', action_id: 'value', placeholder: { type: 'plain_text', text: 'crm-acme' } },
          },
        ],
      },
    });

    expect(renderTranscript(fake)).toContain(
      [
        'Modals',
        '  - V0000000001 "Request SSO" (callback_id sso_request, views.open for @alice)',
        '    | EspoCRM instance: [ crm-acme v ]',
        '    | [ Request ]',
      ].join('\n'),
    );
  });

  it('lists response URL posts without a target', async () => {
    await fetch(fake.responseUrl('cmd-9'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'Queued' }),
    });

    expect(renderTranscript(fake)).toContain('Response URL posts without a known channel or user\n  - cmd-9 (ephemeral)\n    Queued\n');
  });

  it('renders an empty workspace', () => {
    expect(renderTranscript(fake)).toBe('(no channel messages)\n');
  });
});
