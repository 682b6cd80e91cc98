/** Queue, job and Redis key names, in one place so that every process agrees on them. */

/** The one BullMQ queue; job names tell the kinds of work apart. */
export const QUEUE_NAME = 'requests';

export const JOB = {
  /** Read both systems, store the plan and post it for approval. */
  plan: 'plan',
  /** Apply an approved plan. */
  apply: 'apply',
  /** Expire a request that no approver decided on in time. */
  expire: 'expire',
  /** Reply to `/espo-sso status <instance>`. */
  status: 'status',
  /** Reply to `/espo-sso list`. */
  list: 'list',
} as const;

export type JobName = (typeof JOB)[keyof typeof JOB];

/** Redis keys under the configured prefix. */
export const keys = {
  request: (prefix: string, id: string): string => `${prefix}:request:${id}`,
  /** The id of the request that has the instance's lock (pending or running). */
  instanceLock: (prefix: string, instance: string): string => `${prefix}:instance:${instance}`,
  /** Sorted set of request ids by creation time, for listing and clean-up. */
  requestIndex: (prefix: string): string => `${prefix}:requests`,
};
