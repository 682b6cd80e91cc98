import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';

import { keys } from '../../src/jobs/names';
import { type NewRequest, RequestStore, StateConflictError } from '../../src/jobs/request-store';
import { REDIS_URL, deleteKeys } from '../bot-harness';

/** Requests in Redis: creation under the instance lock and atomic state transitions. */

let redis: Redis;
let prefix: string;
let store: RequestStore;

beforeEach(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  prefix = `espo-sso-test-${randomUUID().slice(0, 12)}`;
  store = new RequestStore(redis, prefix, () => new Date('2026-03-01T10:00:00.000Z'));
});

afterEach(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

const NEW: NewRequest = {
  operation: 'setup',
  instance: 'acme',
  purge: false,
  requesterId: 'U0REQUESTER',
  teamId: 'T0TEAM',
  channelId: 'C0REQUESTS',
  ttlMinutes: 60,
};

async function pendingRequest(): Promise<string> {
  const outcome = await store.create(NEW);
  if (!outcome.created) throw new Error('request not created');
  await store.transition(outcome.request.id, ['planning'], 'pending', { messageTs: '1.000100' });
  return outcome.request.id;
}

test('create stores record and lock', async () => {
  const outcome = await store.create(NEW);
  if (!outcome.created) throw new Error('request not created');

  const request = outcome.request;
  expect(request).toMatchObject({ state: 'planning', instance: 'acme', createdAt: '2026-03-01T10:00:00.000Z', expiresAt: '2026-03-01T11:00:00.000Z' });
  expect(await store.get(request.id)).toEqual(request);
  expect(await redis.get(keys.instanceLock(prefix, 'acme'))).toBe(request.id);
  expect(await redis.zscore(keys.requestIndex(prefix), request.id)).toBe(String(Date.parse('2026-03-01T10:00:00.000Z')));
  expect(await redis.pttl(keys.request(prefix, request.id))).toBeGreaterThan(0);
});

test('concurrent creates: one wins', async () => {
  const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.create(NEW)));

  const created = outcomes.filter((outcome) => outcome.created);
  expect(created).toHaveLength(1);
  const winner = created[0]?.created ? created[0].request.id : '';
  for (const outcome of outcomes) {
    if (!outcome.created) expect(outcome.existing?.id).toBe(winner);
  }
  expect(await redis.zcard(keys.requestIndex(prefix))).toBe(1);
});

test('concurrent transitions: one wins', async () => {
  const id = await pendingRequest();

  const attempts = Array.from({ length: 20 }, (_, index) =>
    store.transition(id, ['pending'], index % 2 === 0 ? 'approved' : 'rejected', { decision: { by: `U${index}`, at: 'now', outcome: index % 2 === 0 ? 'approved' : 'rejected' } }),
  );
  const settled = await Promise.allSettled(attempts);

  const won = settled.filter((result) => result.status === 'fulfilled');
  const lost = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(19);
  for (const result of lost) expect(result.reason).toBeInstanceOf(StateConflictError);
  const stored = await store.get(id);
  const winner = (won[0] as PromiseFulfilledResult<Awaited<(typeof attempts)[number]>>).value;
  expect(stored).toEqual(winner);
  expect(stored?.decision?.outcome).toBe(stored?.state);
});

test('conflict names current state', async () => {
  const id = await pendingRequest();
  await store.transition(id, ['pending'], 'approved');

  const error = await store.transition(id, ['pending'], 'rejected').catch((caught: unknown) => caught);

  expect(error).toBeInstanceOf(StateConflictError);
  expect(error).toMatchObject({ requestId: id, currentState: 'approved' });
  expect((await store.get(id))?.state).toBe('approved');
});

test('missing request conflicts', async () => {
  await expect(store.transition(randomUUID(), ['pending'], 'approved')).rejects.toMatchObject({ currentState: 'unknown' });
  expect(await redis.keys(`${prefix}:*`)).toEqual([]);
});

test('terminal state releases lock', async () => {
  for (const terminal of ['rejected', 'expired', 'failed'] as const) {
    const id = await pendingRequest();
    expect(await redis.get(keys.instanceLock(prefix, 'acme'))).toBe(id);
    await store.transition(id, ['pending'], terminal);
    expect(await redis.get(keys.instanceLock(prefix, 'acme'))).toBeNull();
  }
});

test('non-terminal state keeps lock', async () => {
  const id = await pendingRequest();
  await store.transition(id, ['pending'], 'approved');
  await store.transition(id, ['approved'], 'applying');
  expect(await redis.get(keys.instanceLock(prefix, 'acme'))).toBe(id);
  expect((await store.holder('acme'))?.id).toBe(id);
});

test('release ignores a lock of another request', async () => {
  const first = await pendingRequest();
  const fresh = await store.createUnlocked({ ...NEW, supersedes: first });

  expect(await store.transferLock('acme', first, fresh.id)).toBe(true);
  await store.transition(first, ['pending'], 'superseded', { supersededBy: fresh.id });

  expect(await redis.get(keys.instanceLock(prefix, 'acme'))).toBe(fresh.id);
  expect(await store.transferLock('acme', first, 'someone-else')).toBe(false);
  expect((await store.get(fresh.id))?.supersedes).toBe(first);
});

test('patch keeps state', async () => {
  const id = await pendingRequest();
  const patched = await store.patch(id, { progressTs: '1.000200', state: 'succeeded' });
  expect(patched.state).toBe('pending');
  expect(patched.progressTs).toBe('1.000200');
  expect(patched.messageTs).toBe('1.000100');
});

test('values round-trip through JSON', async () => {
  const id = await pendingRequest();
  const plan = { warnings: [], errors: [], changes: [{ field: 'x', current: null, next: '' }] };
  await store.patch(id, { plan: plan as never, failure: 'quote " and newline \n' });
  const stored = await store.get(id);
  expect(stored?.plan).toEqual(plan);
  expect(stored?.failure).toBe('quote " and newline \n');
  expect(stored?.purge).toBe(false);
});
