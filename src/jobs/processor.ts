import { type Job, type Queue } from 'bullmq';

import { type Config } from '../config/load';
import { EspoSsoError, toEspoSsoError } from '../errors';
import { type Logger } from '../logging/logger';
import { type ApplyResult, type ProgressEvent } from '../provisioning/types';
import { JOB, type JobName } from './names';
import { type InstanceListEntry, type Notifier } from './notifier';
import { type JobData, enqueueRequestJob } from './queue';
import { type RequestRecord, type RequestStore, StateConflictError } from './request-store';
import { type ProvisioningRunner } from './runner';

/** Counters and timings a processor reports; the metrics module implements them. */
export interface JobMetrics {
  jobFinished(name: string, outcome: 'completed' | 'failed' | 'retry', seconds: number): void;
  applyFinished(outcome: 'succeeded' | 'failed' | 'drift' | 'rolled_back'): void;
}

export interface ProcessorDependencies {
  config: Config;
  store: RequestStore;
  notifier: Notifier;
  runner: ProvisioningRunner;
  queue: Queue<JobData, unknown, JobName>;
  logger: Logger;
  metrics?: JobMetrics;
  now?: () => Date;
}

/** Whether another attempt will follow if this one throws. */
function hasAttemptsLeft(job: Job): boolean {
  return job.attemptsMade + 1 < (job.opts.attempts ?? 1);
}

function requestIdOf(job: Job<JobData>): string {
  if (!('requestId' in job.data)) throw new Error(`job ${job.name} has no request id`);
  return job.data.requestId;
}

/**
 * Creates the BullMQ processor. Every handler is safe to run twice: it acts only when the
 * request is in the state that handler expects, moving it on atomically, so a stalled job that
 * runs again, a second worker or a retried add cannot apply a plan twice.
 */
export function createProcessor(dependencies: ProcessorDependencies): (job: Job<JobData, unknown, JobName>) => Promise<void> {
  const { logger, metrics } = dependencies;
  return async (job) => {
    const started = Date.now();
    const jobLogger = logger.child({ jobId: job.id, job: job.name, attempt: job.attemptsMade + 1 });
    try {
      switch (job.name) {
        case JOB.plan:
          await handlePlan(dependencies, job, jobLogger);
          break;
        case JOB.apply:
          await handleApply(dependencies, job, jobLogger);
          break;
        case JOB.expire:
          await handleExpire(dependencies, requestIdOf(job), jobLogger);
          break;
        case JOB.status:
          await handleStatus(dependencies, job);
          break;
        case JOB.list:
          await handleList(dependencies, job);
          break;
        default:
          jobLogger.error('unknown job name; dropped');
      }
      metrics?.jobFinished(job.name, 'completed', (Date.now() - started) / 1000);
    } catch (error) {
      const retry = hasAttemptsLeft(job) && toEspoSsoError(error).retryable;
      metrics?.jobFinished(job.name, retry ? 'retry' : 'failed', (Date.now() - started) / 1000);
      jobLogger.warn({ err: { code: toEspoSsoError(error).code, message: toEspoSsoError(error).message }, retry }, 'job failed');
      throw error;
    }
  };
}

async function handlePlan(dependencies: ProcessorDependencies, job: Job<JobData>, logger: Logger): Promise<void> {
  const { store, runner, notifier, config, queue } = dependencies;
  const request = await store.get(requestIdOf(job));
  if (!request || request.state !== 'planning') {
    logger.info({ state: request?.state }, 'plan job skipped: request is not being planned');
    return;
  }
  logger.info({ requestId: request.id, instance: request.instance }, 'planning');

  let plan = request.plan;
  if (!plan) {
    try {
      plan = await runner.plan(request.instance, request.operation, { purge: request.purge, correlationId: request.correlationId });
    } catch (error) {
      const wrapped = toEspoSsoError(error);
      if (wrapped.retryable && hasAttemptsLeft(job)) throw wrapped;
      await failBeforeApply(dependencies, request, `No plan could be made: ${wrapped.describe()}`);
      return;
    }
    await store.patch(request.id, { plan });
  }

  // The request becomes pending as soon as its message exists, so an approver who clicks while
  // the full plan and the permalink are still being fetched is not turned away.
  let pending: RequestRecord | undefined;
  const markPending = async (ts: string): Promise<void> => {
    pending = await store.transition(request.id, ['planning'], 'pending', { messageTs: ts });
  };
  let posted: { ts: string; permalink: string | undefined };
  try {
    posted = await notifier.postApprovalRequest(request, plan, markPending);
  } catch (error) {
    const wrapped = toEspoSsoError(error);
    if (pending) throw wrapped;
    if (wrapped.retryable && hasAttemptsLeft(job)) throw wrapped;
    await failBeforeApply(dependencies, request, wrapped.describe());
    return;
  }
  if (!pending) await markPending(posted.ts);
  if (posted.permalink) pending = await store.patch(request.id, { permalink: posted.permalink });
  if (!pending) return;
  const delay = new Date(pending.expiresAt).getTime() - (dependencies.now?.() ?? new Date()).getTime();
  await enqueueRequestJob(queue, config.worker, JOB.expire, request.id, Math.max(delay, 1));
  await notifier.audit({
    event: 'planned',
    requestId: request.id,
    instance: request.instance,
    operation: request.operation,
    userId: request.requesterId,
    detail: `${plan.changes.length} change(s), ${plan.errors.length} error(s)`,
  });
}

async function failBeforeApply(dependencies: ProcessorDependencies, request: RequestRecord, message: string): Promise<void> {
  const { store, notifier } = dependencies;
  const failed = await store.transition(request.id, ['planning'], 'failed', { failure: message });
  await notifier.postPlanFailure(failed, message);
  await notifier.audit({
    event: 'failed',
    requestId: request.id,
    instance: request.instance,
    operation: request.operation,
    userId: request.requesterId,
    detail: message,
  });
}

async function handleApply(dependencies: ProcessorDependencies, job: Job<JobData>, logger: Logger): Promise<void> {
  const { store, runner, notifier } = dependencies;
  const id = requestIdOf(job);
  const current = await store.get(id);
  if (current?.result && !current.resultPosted && (current.state === 'succeeded' || current.state === 'failed')) {
    // An earlier attempt finished the apply but could not post the result (e.g. Slack rate-limited it).
    logger.info({ requestId: id, state: current.state }, 'posting the result of an earlier attempt');
    await reportResult(dependencies, current, current.result);
    return;
  }
  if (!current || (current.state !== 'approved' && current.state !== 'applying') || !current.plan) {
    logger.info({ requestId: id, state: current?.state }, 'apply job skipped: request is not approved');
    return;
  }
  // A request already `applying` belongs to an attempt that died or failed transiently: resume it.
  const resume = current.state === 'applying' || job.attemptsMade > 0;
  const request = current.state === 'approved' ? await store.transition(id, ['approved'], 'applying') : current;
  const plan = current.plan;
  logger.info({ requestId: id, instance: request.instance, resume }, 'applying');

  // Progress updates run beside the apply instead of inside it: each step only records its state,
  // and one Slack update at a time sends the latest state, so a slow Slack never delays authentik
  // or EspoCRM calls.
  const steps: ProgressEvent[] = [];
  let progressTs = request.progressTs;
  let dirty = false;
  let inFlight: Promise<void> | undefined;
  let firstSent: Promise<void> | undefined;
  const sendProgress = async (): Promise<void> => {
    while (dirty) {
      dirty = false;
      try {
        const ts = await notifier.showProgress(request, [...steps], progressTs);
        if (ts !== progressTs) {
          progressTs = ts;
          await store.patch(id, { progressTs: ts });
        }
      } catch (error) {
        // Progress is informative; a failed update must not stop an apply halfway.
        logger.warn({ err: { message: toEspoSsoError(error).message } }, 'progress update failed');
      }
    }
  };
  const onProgress = (event: ProgressEvent): void => {
    const existing = steps.findIndex((step) => step.step === event.step);
    if (existing >= 0) steps[existing] = event;
    else steps.push(event);
    dirty = true;
    inFlight ??= sendProgress().finally(() => {
      inFlight = undefined;
    });
    firstSent ??= inFlight;
  };
  const progressSettled = async (): Promise<void> => {
    while (inFlight) await inFlight;
  };

  try {
    const outcome = await runner.apply(request.instance, plan, { correlationId: request.correlationId, resume, onProgress });
    // The progress reply must exist before the result is posted, so the thread reads in order;
    // its last edit may run alongside the result.
    await firstSent;
    await finishApply(dependencies, job, request, outcome, logger);
  } finally {
    await progressSettled();
  }
}

async function finishApply(
  dependencies: ProcessorDependencies,
  job: Job<JobData>,
  request: RequestRecord,
  outcome: Awaited<ReturnType<ProvisioningRunner['apply']>>,
  logger: Logger,
): Promise<void> {
  const { store, metrics } = dependencies;
  const id = request.id;

  if (outcome.error?.code === 'drift' && outcome.freshPlan) {
    metrics?.applyFinished('drift');
    await supersede(dependencies, request, outcome.freshPlan);
    return;
  }
  if (!outcome.ok && outcome.error?.retryable && hasAttemptsLeft(job)) {
    // What this attempt created was rolled back; the next attempt starts from the approved state.
    throw new EspoSsoError(outcome.error.code, outcome.error.message, { retryable: true });
  }

  const { freshPlan: _freshPlan, ...result } = outcome;
  const finalState = result.ok ? 'succeeded' : 'failed';
  metrics?.applyFinished(result.ok ? 'succeeded' : result.undone.length > 0 ? 'rolled_back' : 'failed');
  let finished: RequestRecord;
  try {
    finished = await store.transition(id, ['applying'], finalState, { result: result as ApplyResult });
  } catch (error) {
    if (error instanceof StateConflictError) {
      logger.warn({ requestId: id, state: error.currentState }, 'request finished by another worker');
      return;
    }
    throw error;
  }
  await reportResult(dependencies, finished, result);
}

/** Posts the result in the request's thread, marks it posted, and writes the audit line. */
async function reportResult(dependencies: ProcessorDependencies, request: RequestRecord, result: ApplyResult): Promise<void> {
  const { store, notifier } = dependencies;
  await notifier.postResult(request, result);
  await store.patch(request.id, { resultPosted: true });
  await notifier.audit({
    event: result.ok ? 'applied' : 'failed',
    requestId: request.id,
    instance: request.instance,
    operation: request.operation,
    userId: request.decision?.by ?? request.requesterId,
    detail: result.ok ? `client id ${result.clientId ?? '(none)'}` : (result.error?.message ?? 'failed'),
  });
}

/** Replaces a request whose state drifted with a fresh one that needs a new approval. */
async function supersede(dependencies: ProcessorDependencies, request: RequestRecord, freshPlan: NonNullable<RequestRecord['plan']>): Promise<void> {
  const { store, notifier, config, queue } = dependencies;
  const ttlMinutes = config.access.approvalTtlMinutes;
  // The fresh request is created without the lock, which the old one still holds, then takes it over.
  const fresh = await store.createUnlocked({
    operation: request.operation,
    instance: request.instance,
    purge: request.purge,
    requesterId: request.requesterId,
    teamId: request.teamId,
    channelId: request.channelId,
    ttlMinutes,
    supersedes: request.id,
  });
  await store.transferLock(request.instance, request.id, fresh.id);
  await store.patch(fresh.id, { plan: freshPlan });
  const old = await store.transition(request.id, ['applying', 'approved'], 'superseded', { supersededBy: fresh.id });
  await notifier.audit({
    event: 'superseded',
    requestId: request.id,
    instance: request.instance,
    operation: request.operation,
    userId: request.requesterId,
    detail: `state drifted before the apply; fresh request ${fresh.id}`,
  });
  await enqueueRequestJob(queue, config.worker, JOB.plan, fresh.id);
  await notifier.postDrift(old, fresh);
}

async function handleExpire(dependencies: ProcessorDependencies, id: string, logger: Logger): Promise<void> {
  const { store, notifier } = dependencies;
  let expired: RequestRecord;
  try {
    expired = await store.transition(id, ['pending'], 'expired', {
      decision: { by: 'espo-sso', at: (dependencies.now?.() ?? new Date()).toISOString(), outcome: 'expired' },
    });
  } catch (error) {
    if (error instanceof StateConflictError) {
      logger.info({ requestId: id, state: error.currentState }, 'expire job skipped: request was decided');
      return;
    }
    throw error;
  }
  await notifier.updateRequestMessage(expired);
  await notifier.audit({
    event: 'expired',
    requestId: id,
    instance: expired.instance,
    operation: expired.operation,
    userId: expired.requesterId,
  });
}

async function handleStatus(dependencies: ProcessorDependencies, job: Job<JobData>): Promise<void> {
  const data = job.data;
  if (!('instance' in data)) return;
  try {
    const plan = await dependencies.runner.plan(data.instance, 'status', { purge: false, correlationId: String(job.id) });
    await dependencies.notifier.postStatus(data, data.instance, plan, undefined);
  } catch (error) {
    const wrapped = toEspoSsoError(error);
    if (wrapped.retryable && hasAttemptsLeft(job)) throw wrapped;
    await dependencies.notifier.postStatus(data, data.instance, undefined, wrapped.describe());
  }
}

async function handleList(dependencies: ProcessorDependencies, job: Job<JobData>): Promise<void> {
  const data = job.data;
  if (!('instance' in data)) return;
  const { config, runner, store } = dependencies;
  const entries: InstanceListEntry[] = await Promise.all(
    config.instances.map(async (instance) => {
      const [ssoEnabled, holder] = await Promise.all([runner.ssoEnabled(instance.name), store.holder(instance.name)]);
      return {
        name: instance.name,
        url: instance.url,
        ssoEnabled,
        pending: holder
          ? { id: holder.id, operation: holder.operation, state: holder.state, requesterId: holder.requesterId, permalink: holder.permalink }
          : undefined,
      };
    }),
  );
  await dependencies.notifier.postList(data, entries);
}
