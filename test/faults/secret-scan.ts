import { Redis } from 'ioredis';

import { parseJson } from '../../sandbox/common/fake-server';
import { SANDBOX, type SandboxWorld } from '../../sandbox/world';

/**
 * The secret scan that closes every fault test file: no credential of the bot and no client
 * secret it generated may appear in what Slack received, in a log line, or in Redis.
 */

/** A text to scan and where it came from, e.g. "Slack call chat.postMessage #3". */
export interface Haystack {
  source: string;
  text: string;
}

/**
 * Collects the secrets of a set of worlds, by label: the authentik token, the EspoCRM password,
 * and the Slack signing secret and bot token. It adds the EspoCRM session tokens, alone and as
 * `user:token` (the form the sign-in header encodes). It also adds every client secret the fakes
 * stored or received, including those of providers that a rollback deleted or a rotation replaced.
 */
export function collectSecrets(worlds: readonly SandboxWorld[]): Map<string, string> {
  const secrets = new Map<string, string>([
    ['authentik token', SANDBOX.authentikToken],
    ['EspoCRM password', SANDBOX.espoPassword],
    ['EspoCRM sign-in header', `${SANDBOX.espoAdmin}:${SANDBOX.espoPassword}`],
    ['Slack signing secret', SANDBOX.signingSecret],
    ['Slack bot token', SANDBOX.botToken],
  ]);
  let count = 0;
  const addClientSecret = (value: unknown, where: string): void => {
    if (typeof value !== 'string' || value.length < 8) return;
    if ([...secrets.values()].includes(value)) return;
    count += 1;
    secrets.set(`client secret #${count} (${where})`, value);
  };
  for (const world of worlds) {
    for (const provider of world.authentik.providers()) addClientSecret(provider.client_secret, `authentik provider ${provider.pk}`);
    for (const request of world.authentik.server.requests) {
      if (!request.path.startsWith('/api/v3/providers/oauth2/') || request.method === 'GET') continue;
      const body = parseJson(request.rawBody) as { client_secret?: unknown } | undefined;
      addClientSecret(body?.client_secret, `sent to authentik by ${request.method} ${request.path}`);
    }
    for (const { name, espocrm } of world.instances) {
      for (const token of espocrm.authTokens) {
        const label = `EspoCRM session token of ${name} (${token.token.slice(0, 4)}…)`;
        secrets.set(label, token.token);
        secrets.set(`${label} in a sign-in header`, `${token.userName}:${token.token}`);
      }
      addClientSecret(espocrm.settings.oidcClientSecret, `EspoCRM ${name}`);
      for (const request of espocrm.server.requests) {
        if (request.path !== '/api/v1/Settings' || request.method !== 'PUT') continue;
        const body = parseJson(request.rawBody) as { oidcClientSecret?: unknown } | undefined;
        addClientSecret(body?.oidcClientSecret, `sent to EspoCRM ${name}`);
      }
    }
  }
  return secrets;
}

/** Lists the forms a secret can take in a message, a log line or a stored value. */
export function secretForms(value: string): Array<{ form: string; text: string }> {
  const forms = [
    { form: 'as is', text: value },
    { form: 'base64', text: Buffer.from(value).toString('base64') },
    { form: 'base64url', text: Buffer.from(value).toString('base64url') },
    { form: 'URL-encoded', text: encodeURIComponent(value) },
    { form: 'JSON-escaped', text: JSON.stringify(value).slice(1, -1) },
  ];
  const unique = new Map<string, { form: string; text: string }>();
  for (const form of forms) if (!unique.has(form.text)) unique.set(form.text, form);
  return [...unique.values()];
}

/** Returns one line per secret form found in a haystack. The line names the secret, never its value. */
export function findLeaks(secrets: Map<string, string>, haystacks: readonly Haystack[]): string[] {
  const leaks: string[] = [];
  for (const [label, value] of secrets) {
    for (const form of secretForms(value)) {
      for (const haystack of haystacks) {
        if (haystack.text.includes(form.text)) leaks.push(`${label} (${form.form}) found in ${haystack.source}`);
      }
    }
  }
  return leaks;
}

/** Collects every Slack Web API call and response URL post a world's fake received, raw bodies included. */
export function slackHaystacks(world: SandboxWorld, label: string): Haystack[] {
  const haystacks: Haystack[] = world.slack.calls.map((call, index) => ({
    source: `${label}: Slack call ${call.method} #${index}`,
    text: JSON.stringify({ args: call.args, response: call.response }),
  }));
  // Raw bodies include calls that an injected fault ended before the fake recorded them. The
  // bot token is removed from them first: Bolt sends it as the `token` field of auth.test, and
  // Slack is where that token belongs.
  world.slack.server.requests.forEach((request, index) => {
    haystacks.push({ source: `${label}: raw Slack request ${request.path} #${index}`, text: `${request.path}?${request.query.toString()}\n${withoutTokenField(request.rawBody)}` });
  });
  world.slack.allResponses().forEach((post, index) => {
    haystacks.push({ source: `${label}: response URL post #${index}`, text: post.rawBody });
  });
  return haystacks;
}

function withoutTokenField(rawBody: string): string {
  if (rawBody.trimStart().startsWith('{')) return rawBody;
  const form = new URLSearchParams(rawBody);
  if (form.get('token') !== SANDBOX.botToken) return rawBody;
  form.delete('token');
  return form.toString();
}

/** Reads every key under a prefix with its value, one haystack per key. */
export async function redisHaystacks(redisUrl: string, prefix: string): Promise<Haystack[]> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  const haystacks: Haystack[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) haystacks.push({ source: `Redis key ${key}`, text: `${key}\n${await dumpKey(redis, key)}` });
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return haystacks;
}

async function dumpKey(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return (await redis.get(key)) ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'list':
      return JSON.stringify(await redis.lrange(key, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(key));
    case 'zset':
      return JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'));
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    default:
      return '';
  }
}

/** Turns log lines into haystacks, one per line. */
export function logHaystacks(lines: readonly string[], label: string): Haystack[] {
  return lines.map((line, index) => ({ source: `${label} line ${index + 1}`, text: line }));
}
