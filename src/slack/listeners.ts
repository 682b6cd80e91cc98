import {
  type App,
  type BlockButtonAction,
  type RespondFn,
  type SlackActionMiddlewareArgs,
  type SlackCommandMiddlewareArgs,
  type SlackViewMiddlewareArgs,
  type ViewSubmitAction,
  type AllMiddlewareArgs,
} from '@slack/bolt';
import { type Queue } from 'bullmq';

import { type Config } from '../config/load';
import { toEspoSsoError } from '../errors';
import { JOB, type JobName } from '../jobs/names';
import { type JobData, enqueueQueryJob, enqueueRequestJob } from '../jobs/queue';
import { type RequestOperation, type RequestRecord, type RequestStore, StateConflictError } from '../jobs/request-store';
import { type Logger } from '../logging/logger';
import { type AccessControl } from './access';
import { ACTION, BLOCK, COMMAND, VIEW } from './ids';
import { type SlackNotifier } from './notifier';
import { parseCommandText } from './parse';
import { escapeMrkdwn } from './text';
import { type SlackMessage, helpMessage, plainMessage, setupModal } from './views';
import { callSlack } from './web-client';

/** Counters the listeners report; the metrics module implements them. */
export interface FrontMetrics {
  command(name: string, outcome: 'accepted' | 'refused' | 'invalid' | 'unavailable' | 'help'): void;
  approval(decision: 'approved' | 'rejected' | 'refused' | 'expired'): void;
}

export interface ListenerDependencies {
  config: Config;
  logger: Logger;
  store: RequestStore;
  queue: Queue<JobData, unknown, JobName>;
  access: AccessControl;
  notifier: SlackNotifier;
  metrics?: FrontMetrics;
  now?: () => Date;
}

/**
 * Slack gives 3 seconds for an acknowledgement. Work before `ack()` (Redis, group lookups) must
 * finish well inside that; past this budget the user is told the service is unavailable.
 */
const ACK_BUDGET_MS = 2000;

const UNAVAILABLE =
  ':warning: espo-sso is temporarily unavailable: its queue (Redis) does not answer. Nothing was changed; try again in a minute.';

/** Returns the reply to a command or click that failed, naming Slack when a Slack call (e.g. a user group lookup) failed. */
function unavailableText(error: unknown): string {
  const wrapped = toEspoSsoError(error);
  if (wrapped.system !== 'slack') return UNAVAILABLE;
  return `:warning: espo-sso could not finish this because a Slack call failed: ${escapeMrkdwn(wrapped.message)} Nothing was changed; try again in a minute.`;
}

class BudgetExceeded extends Error {}

async function withinBudget<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new BudgetExceeded('acknowledgement budget exceeded')), ACK_BUDGET_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function ephemeral(message: SlackMessage): { response_type: 'ephemeral'; text: string; blocks: SlackMessage['blocks'] } {
  return { response_type: 'ephemeral', text: message.text, blocks: message.blocks };
}

function describeHolder(holder: RequestRecord | undefined, instance: string): string {
  if (!holder) return `Another request for *${escapeMrkdwn(instance)}* is being set up; try again in a moment.`;
  const link = holder.permalink ? ` <${holder.permalink}|View it>.` : '';
  return `A ${holder.operation} request for *${escapeMrkdwn(instance)}* by <@${holder.requesterId}> is already ${holder.state}.${link} Only one request per instance can be pending or running.`;
}

/**
 * Creates a request and queues its plan. Returns the text for the requester. The request is
 * failed again when the queue cannot take the job, so the instance is not left locked.
 */
async function openRequest(
  dependencies: ListenerDependencies,
  input: { operation: RequestOperation; instance: string; purge: boolean; userId: string; teamId: string; channelId: string },
): Promise<{ ok: boolean; text: string }> {
  const { store, queue, config, notifier } = dependencies;
  const outcome = await store.create({
    operation: input.operation,
    instance: input.instance,
    purge: input.purge,
    requesterId: input.userId,
    teamId: input.teamId,
    channelId: input.channelId,
    ttlMinutes: config.access.approvalTtlMinutes,
  });
  if (!outcome.created) return { ok: false, text: describeHolder(outcome.existing, input.instance) };
  try {
    await enqueueRequestJob(queue, config.worker, JOB.plan, outcome.request.id);
  } catch (error) {
    await store.transition(outcome.request.id, ['planning'], 'failed', { failure: 'the queue did not accept the job' }).catch(() => undefined);
    throw error;
  }
  void notifier
    .audit({ event: 'requested', requestId: outcome.request.id, instance: input.instance, operation: input.operation, userId: input.userId })
    .catch(() => undefined);
  return {
    ok: true,
    text: `:hourglass_flowing_sand: Planning ${input.operation}${input.purge ? ' --purge' : ''} for *${escapeMrkdwn(input.instance)}*. The plan will appear in this channel for approval.`,
  };
}

function knownInstances(config: Config): string {
  return config.instances.map((instance) => `\`${instance.name}\``).join(', ');
}

/** Registers the slash command, the buttons and the modal on a Bolt app. */
export function registerListeners(app: App, dependencies: ListenerDependencies): void {
  app.command(COMMAND, async (args) => handleCommand(dependencies, args));
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: ACTION.approve }, async (args) => handleDecision(dependencies, args, 'approve'));
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: ACTION.reject }, async (args) => handleDecision(dependencies, args, 'reject'));
  app.view<ViewSubmitAction>({ type: 'view_submission', callback_id: VIEW.setup }, async (args) => handleModal(dependencies, args));
}

async function handleCommand(
  dependencies: ListenerDependencies,
  { command, ack, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs,
): Promise<void> {
  const { config, logger, access, queue, metrics } = dependencies;
  const parsed = parseCommandText(command.text ?? '');
  const log = logger.child({ userId: command.user_id, channelId: command.channel_id, command: parsed.kind });

  if (parsed.kind === 'help') {
    metrics?.command('help', parsed.reason ? 'invalid' : 'help');
    await ack(ephemeral(helpMessage(parsed.reason)));
    return;
  }

  const instanceName = 'instance' in parsed ? parsed.instance : undefined;
  if (instanceName !== undefined && !config.instances.some((instance) => instance.name === instanceName)) {
    metrics?.command(parsed.kind, 'invalid');
    await ack(ephemeral(plainMessage(`No instance named *${escapeMrkdwn(instanceName)}* is configured. Known instances: ${knownInstances(config)}.`)));
    return;
  }

  try {
    const reply = await withinBudget(
      (async (): Promise<SlackMessage | 'modal'> => {
        // Approvers are looked up only for reading commands, so a failing approver group cannot block requests.
        const requester = await access.isRequester(command.user_id);
        if (parsed.kind === 'list' || parsed.kind === 'status') {
          if (!requester && !(await access.isApprover(command.user_id))) {
            metrics?.command(parsed.kind, 'refused');
            return plainMessage(':no_entry: Only requesters and approvers of espo-sso may see instance states.');
          }
          await enqueueQueryJob(queue, config.worker, parsed.kind === 'list' ? JOB.list : JOB.status, {
            instance: parsed.kind === 'status' ? parsed.instance : '*',
            userId: command.user_id,
            channelId: command.channel_id,
          });
          metrics?.command(parsed.kind, 'accepted');
          return plainMessage(parsed.kind === 'list' ? 'Reading the instances…' : `Reading the status of *${escapeMrkdwn(parsed.instance)}*…`);
        }
        if (!requester) {
          metrics?.command(parsed.kind, 'refused');
          return plainMessage(':no_entry: You may not request changes. An administrator of espo-sso can add you to access.requesters.');
        }
        if (parsed.kind === 'setup' && parsed.instance === undefined) {
          await callSlack(() => client.views.open({ trigger_id: command.trigger_id, view: setupModal(config.instances, command.channel_id) }));
          metrics?.command('setup', 'accepted');
          return 'modal';
        }
        const opened = await openRequest(dependencies, {
          operation: parsed.kind,
          instance: parsed.instance as string,
          purge: parsed.kind === 'disable' ? parsed.purge : false,
          userId: command.user_id,
          teamId: command.team_id,
          channelId: command.channel_id,
        });
        metrics?.command(parsed.kind, opened.ok ? 'accepted' : 'refused');
        return plainMessage(opened.text);
      })(),
    );
    if (reply === 'modal') await ack();
    else await ack(ephemeral(reply));
  } catch (error) {
    metrics?.command(parsed.kind, 'unavailable');
    log.error({ err: { code: toEspoSsoError(error).code, message: toEspoSsoError(error).message } }, 'command failed');
    await ack(ephemeral(plainMessage(unavailableText(error))));
  }
}

/** Sends an ephemeral reply to the user who clicked, through the click's response URL. */
async function replyToClick(respond: RespondFn, text: string, log: Logger): Promise<void> {
  try {
    await respond({ response_type: 'ephemeral', replace_original: false, text });
  } catch (error) {
    log.warn({ err: { message: toEspoSsoError(error).message } }, 'reply to the click could not be sent');
  }
}

async function refuse(respond: RespondFn, text: string, log: Logger): Promise<void> {
  log.info({ reason: text }, 'click refused');
  await replyToClick(respond, text, log);
}

async function handleDecision(
  dependencies: ListenerDependencies,
  { ack, body, action, respond }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs,
  decision: 'approve' | 'reject',
): Promise<void> {
  await ack();
  const { store, access, notifier, queue, config, logger, metrics } = dependencies;
  const userId = body.user.id;
  const requestId = action.value ?? '';
  const log = logger.child({ userId, requestId, decision });
  const now = dependencies.now?.() ?? new Date();

  try {
    const request = /^[0-9a-f-]{36}$/.test(requestId) ? await store.get(requestId) : undefined;
    if (!request) {
      metrics?.approval('refused');
      await refuse(respond, 'This request is unknown; it may have been removed.', log);
      return;
    }
    // The click must come from the message the bot posted for this request, in its channel and workspace.
    const fromMessage = body.container?.message_ts ?? body.message?.ts;
    const channelId = body.channel?.id ?? body.container?.channel_id;
    if (
      body.team?.id !== request.teamId ||
      fromMessage !== request.messageTs ||
      channelId !== request.channelId ||
      action.block_id !== BLOCK.decision(request.id)
    ) {
      metrics?.approval('refused');
      log.warn('click does not match the request message; ignored');
      await refuse(respond, 'This button does not belong to that request. Nothing was changed.', log);
      return;
    }
    if (!(await access.isApprover(userId))) {
      metrics?.approval('refused');
      await notifier.audit({ event: 'refused', requestId, instance: request.instance, operation: request.operation, userId, detail: 'not an approver' });
      await refuse(respond, ':no_entry: Only approvers may decide on requests. Nothing was changed.', log);
      return;
    }
    if (decision === 'approve' && userId === request.requesterId && !access.allowSelfApproval) {
      metrics?.approval('refused');
      await notifier.audit({ event: 'refused', requestId, instance: request.instance, operation: request.operation, userId, detail: 'self-approval' });
      await refuse(respond, ':no_entry: You cannot approve your own request; another approver must. Nothing was changed.', log);
      return;
    }
    if (request.state === 'pending' && Date.parse(request.expiresAt) <= now.getTime()) {
      try {
        const expired = await store.transition(request.id, ['pending'], 'expired', { decision: { by: 'espo-sso', at: now.toISOString(), outcome: 'expired' } });
        await notifier.updateRequestMessage(expired);
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
      }
      metrics?.approval('expired');
      await refuse(respond, ':hourglass: This request has expired. Run the command again for a fresh plan.', log);
      return;
    }
    if (decision === 'approve' && (request.plan?.errors.length ?? 1) > 0) {
      metrics?.approval('refused');
      await refuse(respond, 'This plan has errors and cannot be approved.', log);
      return;
    }

    let decided: RequestRecord;
    try {
      decided = await store.transition(request.id, ['pending'], decision === 'approve' ? 'approved' : 'rejected', {
        decision: { by: userId, at: now.toISOString(), outcome: decision === 'approve' ? 'approved' : 'rejected' },
      });
    } catch (error) {
      if (!(error instanceof StateConflictError)) throw error;
      metrics?.approval('refused');
      await refuse(respond, `This request is already ${error.currentState}. Nothing was changed.`, log);
      return;
    }
    metrics?.approval(decision === 'approve' ? 'approved' : 'rejected');
    if (decision === 'approve') {
      try {
        await enqueueRequestJob(queue, config.worker, JOB.apply, decided.id);
      } catch (error) {
        // Without its job an approved request would wait forever: put it back to pending.
        await store.transition(decided.id, ['approved'], 'pending', { decision: undefined }).catch(() => undefined);
        throw error;
      }
    }
    try {
      await notifier.updateRequestMessage(decided);
    } catch (error) {
      // The decision is stored and the apply queued; only the redraw failed, so the clicker must not read "nothing was changed".
      const message = toEspoSsoError(error).message;
      log.warn({ err: { message } }, 'request message not updated after the decision');
      const done =
        decision === 'approve'
          ? `Approved: the apply is queued, and progress and the result appear in the request's thread. The request message could not be updated (${escapeMrkdwn(message)}).`
          : `Rejected, but the request message could not be updated (${escapeMrkdwn(message)}).`;
      await replyToClick(respond, done, log);
    }
    await notifier.audit({
      event: decision === 'approve' ? 'approved' : 'rejected',
      requestId,
      instance: decided.instance,
      operation: decided.operation,
      userId,
    });
  } catch (error) {
    log.error({ err: { code: toEspoSsoError(error).code, message: toEspoSsoError(error).message } }, 'decision failed');
    await refuse(respond, unavailableText(error), log);
  }
}

async function handleModal(
  dependencies: ListenerDependencies,
  { ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs,
): Promise<void> {
  const { config, access, logger } = dependencies;
  const userId = body.user.id;
  const selected = view.state.values[BLOCK.modalInstance]?.[ACTION.instanceSelect]?.selected_option?.value;
  let channelId: string | undefined;
  try {
    const metadata = JSON.parse(view.private_metadata || '{}') as { channelId?: unknown };
    channelId = typeof metadata.channelId === 'string' && /^[CGD][A-Z0-9]+$/.test(metadata.channelId) ? metadata.channelId : undefined;
  } catch {
    channelId = undefined;
  }
  const fieldError = async (message: string): Promise<void> => {
    await ack({ response_action: 'errors', errors: { [BLOCK.modalInstance]: message } });
  };

  if (!selected) return fieldError('Pick an instance.');
  if (!config.instances.some((instance) => instance.name === selected)) return fieldError(`No instance named ${selected} is configured.`);
  if (!channelId) return fieldError('The channel of this dialog is unknown; run the command again in a channel.');
  try {
    const reply = await withinBudget(
      (async () => {
        if (!(await access.isRequester(userId))) return { ok: false, text: 'You may not request changes.' };
        return openRequest(dependencies, {
          operation: 'setup',
          instance: selected,
          purge: false,
          userId,
          teamId: body.team?.id ?? body.user.team_id ?? '',
          channelId: channelId as string,
        });
      })(),
    );
    if (!reply.ok) return fieldError(reply.text.replace(/[*<>]/g, '').slice(0, 150));
    await ack();
  } catch (error) {
    logger.error({ userId, err: { message: toEspoSsoError(error).message } }, 'setup dialog failed');
    await fieldError('espo-sso is temporarily unavailable; try again in a minute.');
  }
}
