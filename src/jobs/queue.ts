import { type JobsOptions, Queue } from 'bullmq';
import { type Redis } from 'ioredis';

import { type WorkerConfig } from '../config/schema';
import { type JOB, type JobName, QUEUE_NAME } from './names';

/** Job data: ids only. Everything else is read from the request record or the configuration. */
export type JobData =
  | { requestId: string }
  | { instance: string; userId: string; channelId: string };

/** Creates the queue producers use. */
export function createQueue(connection: Redis, prefix: string): Queue<JobData, unknown, JobName> {
  return new Queue<JobData, unknown, JobName>(QUEUE_NAME, { connection, prefix });
}

/** Options for every job: bounded retries with exponential backoff, and clean-up after `jobRetentionHours`. */
export function jobOptions(worker: WorkerConfig): JobsOptions {
  const age = worker.jobRetentionHours * 3600;
  return {
    attempts: worker.attempts,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: { age },
    removeOnFail: { age },
  };
}

/**
 * Adds a job for a request. The deduplication id makes a second add for the same request and
 * job name a no-op while the first job exists; the request's state in Redis guards the rest.
 */
export async function enqueueRequestJob(
  queue: Queue<JobData, unknown, JobName>,
  worker: WorkerConfig,
  name: typeof JOB.plan | typeof JOB.apply | typeof JOB.expire,
  requestId: string,
  delayMs = 0,
): Promise<void> {
  await queue.add(name, { requestId }, {
    ...jobOptions(worker),
    ...(delayMs > 0 ? { delay: delayMs } : {}),
    deduplication: { id: `${name}:${requestId}` },
  });
}

/** Adds a read-only job (status, list) for a user. */
export async function enqueueQueryJob(
  queue: Queue<JobData, unknown, JobName>,
  worker: WorkerConfig,
  name: typeof JOB.status | typeof JOB.list,
  data: { instance: string; userId: string; channelId: string },
): Promise<void> {
  await queue.add(name, data, { ...jobOptions(worker), attempts: 2 });
}
