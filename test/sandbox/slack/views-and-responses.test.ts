import { type webApi } from '@slack/bolt';

import { FakeSlack, RESPONSE_URL_MAX_POSTS } from '../../../sandbox/slack';
import { clientFor, platformError } from './helpers';

const CHANNEL = 'C0APPROVALS';

function modal(title: string, extra: Record<string, unknown> = {}): webApi.ModalView {
  return {
    type: 'modal',
    callback_id: 'sso_request',
    title: { type: 'plain_text', text: title },
    submit: { type: 'plain_text', text: 'Request' },
    blocks: [
      {
        type: 'input',
        block_id: 'instance',
        label: { type: 'plain_text', text: 'EspoCRM instance' },
        element: { type: 'plain_text_input', action_id: 'value' },
      },
    ],
    ...extra,
  } as webApi.ModalView;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

describe('FakeSlack views', () => {
  let fake: FakeSlack;
  let client: webApi.WebClient;
  let clock: number;

  beforeEach(async () => {
    clock = 1_733_000_000_000;
    fake = new FakeSlack({ now: () => clock });
    await fake.start();
    client = clientFor(fake);
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('opens a modal with an issued trigger', async () => {
    const triggerId = fake.issueTriggerId({ userId: 'U0ALICE' });

    const result = await client.views.open({ trigger_id: triggerId, view: modal('Request SSO', { private_metadata: '{"channel":"C1"}' }) });

    expect(result.view?.id).toBe('V0000000001');
    expect(result.view?.callback_id).toBe('sso_request');
    expect(fake.views()).toEqual([
      expect.objectContaining({ id: 'V0000000001', title: 'Request SSO', privateMetadata: '{"channel":"C1"}', userId: 'U0ALICE' }),
    ]);
    expect(fake.calls[0]?.args.view).toEqual(modal('Request SSO', { private_metadata: '{"channel":"C1"}' }));
  });

  it('rejects an unknown trigger', async () => {
    expect(await platformError(client.views.open({ trigger_id: '123.456.abc', view: modal('Request SSO') }))).toBe('invalid_trigger_id');
  });

  it('rejects a trigger after 3 seconds', async () => {
    const triggerId = fake.issueTriggerId();
    clock += 3001;

    expect(await platformError(client.views.open({ trigger_id: triggerId, view: modal('Request SSO') }))).toBe('expired_trigger_id');
  });

  it('rejects a registered trigger once expired', async () => {
    fake.registerTrigger('42.1.feed');
    fake.expireTrigger('42.1.feed');

    expect(await platformError(client.views.open({ trigger_id: '42.1.feed', view: modal('Request SSO') }))).toBe('expired_trigger_id');
  });

  it('rejects a title over 24 characters', async () => {
    const triggerId = fake.issueTriggerId();

    const error = await platformError(client.views.open({ trigger_id: triggerId, view: modal('x'.repeat(25)) }));

    expect(error).toBe('invalid_arguments');
    expect(fake.calls[0]?.response.response_metadata).toEqual({
      messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'],
    });
  });

  it('rejects private_metadata over 3000 characters', async () => {
    const triggerId = fake.issueTriggerId();

    const error = await platformError(client.views.open({ trigger_id: triggerId, view: modal('Request SSO', { private_metadata: 'm'.repeat(3001) }) }));

    expect(error).toBe('invalid_arguments');
  });

  it('updates a view and detects a stale hash', async () => {
    const opened = await client.views.open({ trigger_id: fake.issueTriggerId(), view: modal('Request SSO') });
    const viewId = opened.view?.id as string;

    const updated = await client.views.update({ view_id: viewId, hash: opened.view?.hash as string, view: modal('Checking') });
    const stale = await platformError(client.views.update({ view_id: viewId, hash: opened.view?.hash as string, view: modal('Again') }));

    expect(updated.view?.title).toEqual({ type: 'plain_text', text: 'Checking' });
    expect(stale).toBe('hash_conflict');
    expect(fake.views()[0]).toMatchObject({ title: 'Checking', updates: 1 });
    expect(await platformError(client.views.update({ view_id: 'V9', view: modal('x') }))).toBe('not_found');
  });

  it('pushes up to three views', async () => {
    const opened = await client.views.open({ trigger_id: fake.issueTriggerId(), view: modal('Step 1') });
    const rootId = opened.view?.id as string;

    await client.views.push({ trigger_id: fake.issueTriggerId({ viewId: rootId }), view: modal('Step 2') });
    await client.views.push({ trigger_id: fake.issueTriggerId({ viewId: rootId }), view: modal('Step 3') });
    const error = await platformError(client.views.push({ trigger_id: fake.issueTriggerId({ viewId: rootId }), view: modal('Step 4') }));

    expect(error).toBe('push_limit_reached');
    expect(fake.views().map((view) => [view.title, view.rootViewId, view.openedBy])).toEqual([
      ['Step 1', rootId, 'views.open'],
      ['Step 2', rootId, 'views.push'],
      ['Step 3', rootId, 'views.push'],
    ]);
  });
});

describe('FakeSlack response URLs', () => {
  let fake: FakeSlack;
  let clock: number;

  beforeEach(async () => {
    clock = 1_733_000_000_000;
    fake = new FakeSlack({ now: () => clock });
    await fake.start();
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('rejects the sixth post as used_url', async () => {
    const url = fake.responseUrl('cmd-1');
    expect(url).toBe(`${fake.url}/response/cmd-1`);

    const statuses: number[] = [];
    for (let index = 0; index < RESPONSE_URL_MAX_POSTS; index += 1) {
      statuses.push((await postJson(url, { text: `update ${index}` })).status);
    }
    const sixth = await postJson(url, { text: 'one too many' });

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(sixth).toEqual({ status: 404, json: { ok: false, error: 'used_url' } });
    expect(fake.responses('cmd-1').map((post) => post.status)).toEqual([200, 200, 200, 200, 200, 404]);
    expect(fake.responses('cmd-1')[0]?.body).toEqual({ text: 'update 0' });
  });

  it('rejects posts after 30 minutes', async () => {
    const url = fake.responseUrl('cmd-old');
    clock += 30 * 60 * 1000 + 1;

    expect(await postJson(url, { text: 'late' })).toEqual({ status: 404, json: { ok: false, error: 'expired_url' } });
  });

  it('delivers an ephemeral reply to the user', async () => {
    const url = fake.responseUrl('cmd-2', { channel: CHANNEL, userId: 'U0ALICE' });

    await postJson(url, { text: 'Working on it' });

    expect(fake.ephemerals()).toEqual([
      expect.objectContaining({ channel: CHANNEL, user: 'U0ALICE', text: 'Working on it', source: 'response_url' }),
    ]);
    expect(fake.responses('cmd-2')[0]?.effect).toBe('ephemeral');
  });

  it('posts in_channel responses as messages', async () => {
    const url = fake.responseUrl('cmd-3', { channel: CHANNEL, userId: 'U0ALICE' });

    await postJson(url, { response_type: 'in_channel', text: 'Everyone sees this' });

    expect(fake.messages(CHANNEL)).toEqual([expect.objectContaining({ text: 'Everyone sees this', source: 'response_url' })]);
  });

  it('replaces the original message', async () => {
    const client = clientFor(fake);
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'pending' });
    const url = fake.responseUrl('click-1', { channel: CHANNEL, userId: 'U0BOB', messageTs: posted.ts as string });

    await postJson(url, { replace_original: true, text: 'approved' });

    expect(fake.message(CHANNEL, posted.ts as string)?.text).toBe('approved');
    expect(fake.responses('click-1')[0]?.effect).toBe('replaced');
  });

  it('rejects a post without text', async () => {
    const url = fake.responseUrl('cmd-4');

    expect(await postJson(url, { response_type: 'ephemeral' })).toEqual({ status: 400, json: { ok: false, error: 'no_text' } });
  });
});
