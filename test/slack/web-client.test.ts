import { Secret } from '../../src/config/secret';
import { EspoSsoError } from '../../src/errors';
import { NotInChannelError, callSlack, createSlackClient } from '../../src/slack/web-client';
import { FakeSlack } from '../../sandbox/slack';

/** Web API calls through the product's client: bounded waits on rate limits and mapped errors. */

const TOKEN = 'xoxb-web-client-test';
let slack: FakeSlack;

beforeEach(async () => {
  slack = new FakeSlack({
    botToken: TOKEN,
    channels: [
      { id: 'C0GENERAL', name: 'general' },
      { id: 'C0OTHER', name: 'other' },
    ],
    botChannels: ['C0GENERAL'],
  });
  await slack.start();
});

afterEach(async () => {
  await slack.stop();
});

function client() {
  return createSlackClient({ token: new Secret(TOKEN), apiUrl: slack.apiUrl });
}

function post(text: string) {
  const web = client();
  return () => web.chat.postMessage({ channel: 'C0GENERAL', text });
}

test('short Retry-After retried', async () => {
  slack.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 1 });

  const result = await callSlack(post('hello'), { channelId: 'C0GENERAL' });

  expect(result.ok).toBe(true);
  expect(slack.callsTo('chat.postMessage').map((call) => call.status)).toEqual([429, 200]);
  expect(slack.messages('C0GENERAL').map((message) => message.text)).toEqual(['hello']);
});

test('long Retry-After fails fast', async () => {
  slack.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 120 });

  const error = await callSlack(post('hello'), { channelId: 'C0GENERAL', maxWaitSeconds: 10 }).catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(EspoSsoError);
  expect(error).toMatchObject({ code: 'upstream_unavailable', status: 429, retryable: true, system: 'slack' });
  expect((error as Error).message).toBe('Slack rate-limited the bot (retry after 120 s).');
  // Neither the client nor callSlack tried again.
  expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  expect(slack.messages('C0GENERAL')).toEqual([]);
});

test('attempts bound rate-limit retries', async () => {
  slack.rateLimit('chat.postMessage', { times: 5, retryAfterSeconds: 1 });

  const error = await callSlack(post('hello'), { attempts: 2 }).catch((caught: unknown) => caught);

  expect(error).toMatchObject({ code: 'upstream_unavailable', retryable: true });
  expect(slack.callsTo('chat.postMessage')).toHaveLength(2);
});

test('not_in_channel mapped', async () => {
  const web = client();

  const error = await callSlack(() => web.chat.postMessage({ channel: 'C0OTHER', text: 'x' }), { channelId: 'C0OTHER' }).catch((caught: unknown) => caught);

  expect(slack.callsTo('chat.postMessage')[0]?.response.error).toBe('not_in_channel');
  expect(error).toBeInstanceOf(NotInChannelError);
  expect((error as NotInChannelError).channelId).toBe('C0OTHER');
  expect((error as NotInChannelError).hint).toContain('/invite @espo-sso');
});

test('platform error not retryable', async () => {
  const web = client();

  const error = await callSlack(() => web.chat.update({ channel: 'C0GENERAL', ts: '1.000001', text: 'x' })).catch((caught: unknown) => caught);

  expect(error).toMatchObject({ code: 'upstream_rejected', retryable: false, message: 'Slack returned the error message_not_found.' });
});

test('server error retryable', async () => {
  slack.server.injectFault({ path: '/api/chat.postMessage', sequence: [503, 503, 503, 503] });

  const error = await callSlack(post('hello')).catch((caught: unknown) => caught);

  expect(error).toMatchObject({ code: 'upstream_unavailable', retryable: true, system: 'slack' });
  expect(slack.messages('C0GENERAL')).toEqual([]);
});
