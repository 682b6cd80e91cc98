import { ACTION } from '../../src/slack/ids';
import { SANDBOX } from '../../sandbox/world';
import { type Harness, dumpKeys, startHarness, waitFor } from '../bot-harness';

/**
 * After a setup, a rotation, status and list, no secret appears in any Slack call, response URL
 * post, acknowledgement, log line or Redis key under the prefix, neither as is nor base64-encoded.
 */

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/**
 * Substrings that any base64 (or base64url) text containing `secret` must contain, whatever the
 * byte offset at which the secret starts: the encoding of the secret after 0, 1 or 2 leading
 * bytes, without the 4-character groups at either end that depend on the neighbouring bytes.
 */
function base64Needles(secret: string): string[] {
  const needles: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const bytes = Buffer.concat([Buffer.alloc(offset), Buffer.from(secret)]);
    for (const encoding of ['base64', 'base64url'] as const) {
      const encoded = bytes.toString(encoding);
      needles.push(encoded.slice(4, encoded.length - 4));
    }
  }
  return needles;
}

function findLeaks(haystacks: Map<string, string>, secrets: Record<string, string>): string[] {
  const leaks: string[] = [];
  for (const [secretName, secret] of Object.entries(secrets)) {
    const needles = [secret, ...base64Needles(secret)];
    for (const [where, text] of haystacks) {
      if (needles.some((needle) => text.includes(needle))) leaks.push(`${secretName} in ${where}`);
    }
  }
  return leaks;
}

async function approveAndWait(h: Harness, bot: Parameters<Harness['click']>[0], count: number, expected: string): Promise<void> {
  const request = await h.waitForRequestMessage(count);
  const { response } = await h.click(bot, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: request.ts });
  expect(response.status).toBe(200);
  const result = await waitFor(`the result of request ${count}`, () =>
    h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => /: done$|: failed$/.test(reply.text)),
  );
  expect(result.text).toBe(expected);
}

test('no secret leaves the process', async () => {
  harness = await startHarness();
  const h = harness;
  const bot = await h.startBot('serve');
  const acks: string[] = [];

  const setup = await h.command(bot, 'setup demo');
  expect(setup.status).toBe(200);
  acks.push(setup.body);
  await approveAndWait(h, bot, 1, 'setup demo: done');
  const firstSecret = h.world.authentik.providers()[0]?.client_secret ?? '';

  const rotate = await h.command(bot, 'rotate demo');
  expect(rotate.status).toBe(200);
  acks.push(rotate.body);
  await approveAndWait(h, bot, 2, 'rotate demo: done');
  const secondSecret = h.world.authentik.providers()[0]?.client_secret ?? '';

  for (const text of ['status demo', 'list']) {
    const response = await h.command(bot, text);
    expect(response.status).toBe(200);
    acks.push(response.body);
  }
  await waitFor('the status and list replies', () => (h.world.slack.ephemerals(SANDBOX.channelId).length >= 2 ? true : undefined));

  const secrets = {
    'authentik token': SANDBOX.authentikToken,
    'EspoCRM password': SANDBOX.espoPassword,
    'first client secret': firstSecret,
    'second client secret': secondSecret,
    'Slack bot token': SANDBOX.botToken,
    'Slack signing secret': SANDBOX.signingSecret,
  };
  // The scan only proves something if the secrets are real and the apply used them.
  expect(firstSecret.length).toBeGreaterThanOrEqual(64);
  expect(secondSecret.length).toBeGreaterThanOrEqual(64);
  expect(secondSecret).not.toBe(firstSecret);
  expect(h.world.instances[0]?.espocrm.settings.oidcClientSecret).toBe(secondSecret);

  const haystacks = new Map<string, string>();
  h.world.slack.calls.forEach((call, index) => haystacks.set(`Slack call ${index} (${call.method})`, JSON.stringify(call.args)));
  h.world.slack.allResponses().forEach((post, index) => haystacks.set(`response URL post ${index}`, post.rawBody));
  acks.forEach((body, index) => haystacks.set(`acknowledgement ${index}`, body));
  h.logs.forEach((line, index) => haystacks.set(`log line ${index}`, line));
  for (const [key, value] of await dumpKeys(h.redis, h.prefix)) haystacks.set(`Redis key ${key}`, value);

  // The scan covered every kind of place.
  expect(h.world.slack.calls.length).toBeGreaterThan(10);
  expect(h.logs.length).toBeGreaterThan(10);
  expect([...haystacks.keys()].filter((where) => where.startsWith('Redis key')).length).toBeGreaterThan(5);
  expect(findLeaks(haystacks, secrets)).toEqual([]);
});

test('base64 needles match at every offset', () => {
  const secret = 'a-secret-value-of-some-length-0123456789';
  for (const prefix of ['', 'x', 'xy', 'xyz', 'Basic user:']) {
    const encoded = Buffer.from(`${prefix}${secret}!`).toString('base64');
    expect(base64Needles(secret).some((needle) => encoded.includes(needle))).toBe(true);
  }
  expect(base64Needles(secret).some((needle) => Buffer.from('unrelated text of some length').toString('base64').includes(needle))).toBe(false);
});
