import { randomUUID } from 'node:crypto';

import { type Redis } from 'ioredis';

import { EspoSsoError } from '../errors';
import { type ApplyResult, type Plan } from '../provisioning/types';
import { keys } from './names';

/** Operations a Slack user can request. */
export type RequestOperation = 'setup' | 'rotate' | 'disable';

/**
 * The life of a request: planning -> pending -> approved -> applying -> succeeded | failed,
 * or pending -> rejected | expired, or planning/applying -> superseded (a fresh plan replaced it
 * after drift), or planning -> failed when no plan could be made.
 */
export type RequestState =
  | 'planning'
  | 'pending'
  | 'approved'
  | 'applying'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'expired'
  | 'superseded';

export const TERMINAL_STATES: readonly RequestState[] = ['succeeded', 'failed', 'rejected', 'expired', 'superseded'];

/** A request as stored in Redis: ids, the plan and the result, never a secret. */
export interface RequestRecord {
  id: string;
  operation: RequestOperation;
  instance: string;
  purge: boolean;
  requesterId: string;
  teamId: string;
  channelId: string;
  state: RequestState;
  createdAt: string;
  /** When a pending request expires (ISO time). */
  expiresAt: string;
  correlationId: string;
  plan?: Plan;
  /** ts of the approval message in `channelId`; its thread carries progress and the result. */
  messageTs?: string;
  permalink?: string;
  /** ts of the one progress reply that is edited step by step. */
  progressTs?: string;
  decision?: { by: string; at: string; outcome: 'approved' | 'rejected' | 'expired' };
  result?: ApplyResult;
  /** Whether the result reply was posted; a job attempt that failed to post it leaves this unset. */
  resultPosted?: boolean;
  /** Reason the request failed before an apply, e.g. a plan that could not be made. */
  failure?: string;
  /** The request that replaced this one after drift. */
  supersededBy?: string;
  /** The request this one replaced. */
  supersedes?: string;
}

export type NewRequest = Pick<
  RequestRecord,
  'operation' | 'instance' | 'purge' | 'requesterId' | 'teamId' | 'channelId'
> & { ttlMinutes: number; supersedes?: string };

/** Outcome of creating a request. */
export type CreateOutcome = { created: true; request: RequestRecord } | { created: false; existing: RequestRecord | undefined };

/**
 * Moves a request from one of the allowed states to another and merges a patch, atomically.
 * A record is a hash whose fields hold JSON-encoded values, so the script compares and sets
 * strings and never decodes JSON (Redis's Lua cjson would turn empty lists into objects).
 * KEYS[1] request key. ARGV[1] number n of allowed states, ARGV[2..n+1] the allowed states as
 * JSON strings, ARGV[n+2] the new state as a JSON string, then field/value pairs of the patch.
 * Returns the whole hash as a flat list, or an error reply "STATE <current>" / "MISSING".
 */
const TRANSITION_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('MISSING') end
local current = redis.call('HGET', KEYS[1], 'state')
local count = tonumber(ARGV[1])
local ok = false
for index = 2, count + 1 do
  if current == ARGV[index] then ok = true end
end
if not ok then return redis.error_reply('STATE ' .. tostring(current)) end
redis.call('HSET', KEYS[1], 'state', ARGV[count + 2])
for index = count + 3, #ARGV, 2 do
  if ARGV[index + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[index])
  else
    redis.call('HSET', KEYS[1], ARGV[index], ARGV[index + 1])
  end
end
return redis.call('HGETALL', KEYS[1])
`;

/** Field/value pairs for HSET; a key present with the value undefined becomes '' (delete the field). */
function encodeFields(record: Partial<RequestRecord>): string[] {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    fields.push(key, value === undefined ? '' : JSON.stringify(value));
  }
  return fields;
}

function decodeFields(flat: string[]): RequestRecord {
  const record: Record<string, unknown> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) {
    const value = flat[index + 1] as string;
    if (value !== '') record[flat[index] as string] = JSON.parse(value) as unknown;
  }
  return record as unknown as RequestRecord;
}

/** Returns the fields of a record that have a value. */
function definedFields(record: RequestRecord): Partial<RequestRecord> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<RequestRecord>;
}

/**
 * Takes an instance's lock and writes the new request's record, or returns the id of the request
 * that holds the lock. A lock whose record no longer exists is replaced.
 * KEYS[1] lock, KEYS[2] new record, KEYS[3] index. ARGV[1] request id, ARGV[2] lock TTL (ms),
 * ARGV[3] record TTL (ms), ARGV[4] creation time (ms), ARGV[5] record key prefix, then field/value pairs.
 */
const CREATE_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder and redis.call('EXISTS', ARGV[5] .. holder) == 1 then return holder end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for index = 6, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[index], ARGV[index + 1])
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return false
`;

/** Undoes a create: removes the record, its index entry and the lock if it names the request. */
const ABANDON_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/** Deletes a lock only while it still names the given request. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** How long a request record stays in Redis after its creation, beyond its approval window. */
const RECORD_RETENTION_MS = 30 * 24 * 3600 * 1000;

export class StateConflictError extends EspoSsoError {
  constructor(
    readonly requestId: string,
    readonly currentState: string,
  ) {
    super('upstream_rejected', `Request ${requestId} is ${currentState}.`, { system: 'redis' });
    this.name = 'StateConflictError';
  }
}

/** Requests in Redis under one key prefix. */
export class RequestStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Creates a request in state `planning` unless another request has the instance's lock. One script
   * takes the lock and writes the record, so no failure can leave one without the other; a lock
   * whose record is gone counts as free. When the call fails (for example a command timeout while
   * Redis hangs), a clean-up is sent after it on the same connection, so that a create that Redis
   * runs late is undone at once instead of locking the instance.
   */
  async create(input: NewRequest): Promise<CreateOutcome> {
    const record = this.newRecord(input);
    const lockKey = keys.instanceLock(this.prefix, input.instance);
    // The lock outlives the approval window so that a running apply keeps it; terminal states release it.
    const lockTtlMs = input.ttlMinutes * 60_000 + 24 * 3600 * 1000;
    let holder: string | null;
    try {
      holder = (await this.redis.eval(
        CREATE_SCRIPT,
        3,
        lockKey,
        keys.request(this.prefix, record.id),
        keys.requestIndex(this.prefix),
        record.id,
        String(lockTtlMs),
        String(RECORD_RETENTION_MS),
        String(Date.parse(record.createdAt)),
        keys.request(this.prefix, ''),
        ...encodeFields(definedFields(record)),
      )) as string | null;
    } catch (error) {
      this.redis
        .eval(ABANDON_SCRIPT, 3, lockKey, keys.request(this.prefix, record.id), keys.requestIndex(this.prefix), record.id)
        .catch(() => undefined);
      throw error;
    }
    if (holder !== null) return { created: false, existing: await this.get(holder) };
    return { created: true, request: record };
  }

  /** Creates a request without taking the instance lock; the caller transfers the lock to it. */
  async createUnlocked(input: NewRequest): Promise<RequestRecord> {
    const record = this.newRecord(input);
    await this.write(record);
    return record;
  }

  private async write(record: RequestRecord): Promise<void> {
    const key = keys.request(this.prefix, record.id);
    await this.redis
      .multi()
      .hset(key, ...encodeFields(definedFields(record)))
      .pexpire(key, RECORD_RETENTION_MS)
      .zadd(keys.requestIndex(this.prefix), Date.parse(record.createdAt), record.id)
      .exec();
  }

  private newRecord(input: NewRequest): RequestRecord {
    const id = randomUUID();
    const created = this.now();
    const expiresAt = new Date(created.getTime() + input.ttlMinutes * 60_000);
    return {
      id,
      operation: input.operation,
      instance: input.instance,
      purge: input.purge,
      requesterId: input.requesterId,
      teamId: input.teamId,
      channelId: input.channelId,
      state: 'planning',
      createdAt: created.toISOString(),
      expiresAt: expiresAt.toISOString(),
      correlationId: id,
      ...(input.supersedes ? { supersedes: input.supersedes } : {}),
    };
  }

  /** Hands an instance's lock from one request to another (after drift, to the fresh plan's request). */
  async transferLock(instance: string, fromId: string, toId: string): Promise<boolean> {
    const lockKey = keys.instanceLock(this.prefix, instance);
    const result = await this.redis.eval(
      `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end return 0`,
      1,
      lockKey,
      fromId,
      toId,
    );
    return result === 1;
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const flat = await this.redis.hgetall(keys.request(this.prefix, id));
    return Object.keys(flat).length > 0 ? decodeFields(Object.entries(flat).flat()) : undefined;
  }

  /** Returns the request that has an instance's lock, if any. */
  async holder(instance: string): Promise<RequestRecord | undefined> {
    const id = await this.redis.get(keys.instanceLock(this.prefix, instance));
    return id ? this.get(id) : undefined;
  }

  /**
   * Atomically moves a request from one of `from` to `to` and merges `patch`. Throws
   * StateConflictError when the request is in another state, so two clicks or two workers
   * cannot both win.
   */
  async transition(
    id: string,
    from: readonly RequestState[],
    to: RequestState,
    patch: Partial<RequestRecord> = {},
  ): Promise<RequestRecord> {
    try {
      const { state: _ignored, ...fields } = patch;
      const result = (await this.redis.eval(
        TRANSITION_SCRIPT,
        1,
        keys.request(this.prefix, id),
        String(from.length),
        ...from.map((state) => JSON.stringify(state)),
        JSON.stringify(to),
        ...encodeFields(fields),
      )) as string[];
      const record = decodeFields(result);
      if (TERMINAL_STATES.includes(to)) await this.releaseLock(record);
      return record;
    } catch (error) {
      // Redis 7 keeps a reply's first word as its error code when it is followed by a space
      // ("STATE ...") but prefixes a single word with "ERR " ("ERR MISSING").
      const message = (error instanceof Error ? error.message : String(error)).replace(/^ERR /, '');
      if (message.startsWith('STATE ')) throw new StateConflictError(id, message.slice('STATE '.length).replace(/"/g, ''));
      if (message.startsWith('MISSING')) throw new StateConflictError(id, 'unknown');
      throw error;
    }
  }

  /** Merges fields that do not change the state (message ts, progress ts). */
  async patch(id: string, patch: Partial<RequestRecord>): Promise<RequestRecord> {
    const current = await this.get(id);
    if (!current) throw new StateConflictError(id, 'unknown');
    return this.transition(id, [current.state], current.state, patch);
  }

  async releaseLock(record: Pick<RequestRecord, 'id' | 'instance'>): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, keys.instanceLock(this.prefix, record.instance), record.id);
  }
}
