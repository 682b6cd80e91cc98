import { type types } from '@slack/bolt';

import { type InstanceConfig } from '../config/load';
import { type InstanceListEntry } from '../jobs/notifier';
import { type RequestRecord } from '../jobs/request-store';
import { formatChange, groupChanges } from '../provisioning/render';
import { type ApplyResult, type Plan, type ProgressEvent } from '../provisioning/types';
import { ACTION, BLOCK, COMMAND, VIEW } from './ids';
import { chunkText, clip, escapeMrkdwn, slackDate } from './text';

type KnownBlock = types.KnownBlock;
type View = types.View;

/**
 * Block Kit messages built from plain data, so their wording and Slack's limits are tested
 * without Slack: section text 3000 characters, button text 75, confirm text 300, modal title 24.
 */
export const LIMITS = {
  sectionText: 3000,
  buttonText: 75,
  confirmTitle: 100,
  confirmText: 300,
  contextText: 2000,
  /** Slack rejects messages whose blocks serialise to more than about 13,000 characters; stay well below. */
  blocksJson: 11000,
  /** Blocks in one message. */
  messageBlocks: 50,
  modalTitle: 24,
};

export interface SlackMessage {
  /** Fallback text for notifications and screen readers; never empty. */
  text: string;
  blocks: KnownBlock[];
}

const OPERATION_TITLE: Record<string, string> = {
  setup: 'Set up single sign-on',
  rotate: 'Rotate the client secret',
  disable: 'Disable single sign-on',
};

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, LIMITS.contextText) }] };
}

/** Builds the help text, which lists every command form. */
export function helpMessage(prefix?: string): SlackMessage {
  const lines = [
    `*${COMMAND}* rolls out authentik single sign-on to EspoCRM. Every change is planned, shown here and approved by a second person.`,
    `• \`${COMMAND} help\`: this text`,
    `• \`${COMMAND} list\`: the instances, their single sign-on state and any pending request`,
    `• \`${COMMAND} setup <instance>\`: plan single sign-on for an instance and ask for approval`,
    `• \`${COMMAND} setup\`: pick the instance in a dialog`,
    `• \`${COMMAND} status <instance>\`: is single sign-on on, which client id, differences from the configuration`,
    `• \`${COMMAND} rotate <instance>\`: set a new client secret in authentik and EspoCRM (needs approval)`,
    `• \`${COMMAND} disable <instance>\`: switch EspoCRM back to its own login (needs approval); add \`--purge\` to also delete the authentik application and provider`,
  ];
  const text = prefix ? `${prefix}\n\n${lines.join('\n')}` : lines.join('\n');
  return { text: clip(text, LIMITS.sectionText), blocks: [section(text)] };
}

/** Builds a short message in one section block, for acknowledgements and refusals. */
export function plainMessage(text: string): SlackMessage {
  return { text: clip(text, LIMITS.sectionText), blocks: [section(text)] };
}

/** Renders the plan as mrkdwn sections: one per changed object, then warnings and errors. */
export function planSections(plan: Plan): string[] {
  const sections: string[] = [];
  if (plan.changes.length === 0) sections.push('*No changes*: authentik and EspoCRM already match the configuration.');
  for (const group of groupChanges(plan.changes)) {
    const header = `*${group.system === 'authentik' ? 'authentik' : 'EspoCRM'} ${escapeMrkdwn(group.object)}*: ${group.action}`;
    const rows = group.changes.map((change) => `• ${escapeMrkdwn(formatChange(change))}`);
    sections.push([header, ...rows].join('\n'));
  }
  if (plan.warnings.length > 0) {
    sections.push(['*Warnings*', ...plan.warnings.map((warning) => `• ${escapeMrkdwn(warning)}`)].join('\n'));
  }
  if (plan.errors.length > 0) {
    sections.push(
      ['*Errors: this plan cannot be approved*', ...plan.errors.map((error) => `• ${escapeMrkdwn(error.message)} _Fix: ${escapeMrkdwn(error.fix)}._`)].join('\n'),
    );
  }
  return sections;
}

/** Splits the full plan into thread replies, for a request message that had to be shortened. */
export function fullPlanMessages(plan: Plan): SlackMessage[] {
  const text = `Full plan ${plan.id.slice(0, 8)}:\n\n${planSections(plan).join('\n\n')}`;
  return chunkText(text, LIMITS.sectionText).map((chunk) => ({ text: chunk, blocks: [section(chunk)] }));
}

function decisionLine(request: RequestRecord): string | undefined {
  const decision = request.decision;
  if (!decision) return undefined;
  if (decision.outcome === 'expired') return `:hourglass: Expired ${slackDate(decision.at)} without a decision; the buttons no longer work.`;
  const verb = decision.outcome === 'approved' ? ':white_check_mark: Approved' : ':no_entry_sign: Rejected';
  return `${verb} by <@${decision.by}> ${slackDate(decision.at)}`;
}

/**
 * The request message: who asked, which instance, the plan, and the buttons while it is pending.
 * When the plan is too long for one message, the message keeps a summary and says that the full
 * plan is in the thread. `truncated` tells the caller to post `fullPlanMessages` there.
 */
export function requestMessage(request: RequestRecord, plan: Plan, instanceUrl: string): SlackMessage & { truncated: boolean } {
  const title = `${OPERATION_TITLE[request.operation] ?? request.operation}${request.purge ? ' (and delete the authentik objects)' : ''}`;
  const intro = `*${title}* for *${escapeMrkdwn(request.instance)}* (${escapeMrkdwn(instanceUrl)}), requested by <@${request.requesterId}>.`;
  const footer = `Request ${request.id.slice(0, 8)} · plan ${plan.fingerprint.slice(0, 12)} · expires ${slackDate(request.expiresAt)}`;
  const decision = decisionLine(request);
  const pending = request.state === 'pending' || request.state === 'planning';

  const actions: KnownBlock[] = [];
  if (pending && plan.errors.length === 0) {
    actions.push({
      type: 'actions',
      block_id: BLOCK.decision(request.id),
      elements: [
        {
          type: 'button',
          action_id: ACTION.approve,
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value: request.id,
          confirm: {
            title: { type: 'plain_text', text: clip(`Apply this plan to ${request.instance}?`, LIMITS.confirmTitle) },
            text: {
              type: 'mrkdwn',
              text: clip(`authentik and EspoCRM at ${escapeMrkdwn(instanceUrl)} will be changed as shown. Users sign in through authentik afterwards.`, LIMITS.confirmText),
            },
            confirm: { type: 'plain_text', text: 'Apply' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        {
          type: 'button',
          action_id: ACTION.reject,
          text: { type: 'plain_text', text: 'Reject' },
          style: 'danger',
          value: request.id,
        },
      ],
    });
  }

  // A superseded request still shows its approval, so the message adds that nothing was applied.
  const superseded =
    request.state === 'superseded'
      ? `:warning: Not applied: authentik, EspoCRM or the configuration changed after the approval.${request.supersededBy ? ` Request ${request.supersededBy.slice(0, 8)} has the fresh plan.` : ''}`
      : undefined;
  const stateLines = [decision ?? (pending ? undefined : `State: ${request.state}`), superseded].filter((line) => line !== undefined);
  const build = (planBlocks: KnownBlock[]): KnownBlock[] => [
    section(intro),
    ...planBlocks,
    ...(stateLines.length > 0 ? [section(stateLines.join('\n'))] : []),
    ...actions,
    context(footer),
  ];

  // A section longer than Slack allows is split rather than clipped, so the message shows the whole
  // plan or states that it does not.
  let blocks = build(planSections(plan).flatMap((text) => chunkText(text, LIMITS.sectionText)).map(section));
  let truncated = false;
  if (JSON.stringify(blocks).length > LIMITS.blocksJson || blocks.length > LIMITS.messageBlocks) {
    truncated = true;
    const counts = `${plan.changes.length} change(s), ${plan.warnings.length} warning(s), ${plan.errors.length} error(s).`;
    const errors = plan.errors.map((error) => `• ${escapeMrkdwn(error.message)}`).join('\n');
    blocks = build([
      section(`*The plan is too long for one message*: ${counts} The full plan is in this message's thread.${errors ? `\n*Errors*\n${errors}` : ''}`),
    ]);
  }
  const text = `${title} for ${request.instance}, requested by <@${request.requesterId}>: ${plan.changes.length} change(s)${plan.errors.length > 0 ? `, ${plan.errors.length} error(s)` : ''}.`;
  return { text, blocks, truncated };
}

const STEP_ICON: Record<ProgressEvent['status'], string> = {
  started: ':hourglass_flowing_sand:',
  done: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
};

/** Builds the progress reply, which is edited as steps start and finish. */
export function progressMessage(steps: readonly ProgressEvent[]): SlackMessage {
  const lines = steps.map((step) => `${STEP_ICON[step.status]} ${escapeMrkdwn(step.step)}${step.detail ? ` (${escapeMrkdwn(clip(step.detail, 300))})` : ''}`);
  const text = `*Progress*\n${lines.join('\n') || 'Starting…'}`;
  return { text: clip(`Progress: ${steps.length} step(s)`, 200), blocks: [section(text)] };
}

/** Builds the result reply: what changed, the client id and the login page, or the cause, what was undone and what to do next. */
export function resultMessage(result: ApplyResult): SlackMessage {
  const blocks: KnownBlock[] = [];
  if (result.ok) {
    const changed = result.changes.length === 0 ? 'Nothing needed to change.' : `${result.changes.length} field(s) changed as planned.`;
    blocks.push(
      section(
        [
          `:white_check_mark: *${OPERATION_TITLE[result.operation] ?? result.operation}: done for ${escapeMrkdwn(result.instance)}.* ${changed}`,
          result.clientId ? `Client id: \`${result.clientId}\`` : undefined,
          `Login page: ${escapeMrkdwn(result.loginUrl)}`,
        ]
          .filter(Boolean)
          .join('\n'),
      ),
    );
  } else {
    const error = result.error;
    blocks.push(
      section(
        [
          `:x: *${OPERATION_TITLE[result.operation] ?? result.operation} failed for ${escapeMrkdwn(result.instance)}.*`,
          `Cause: ${escapeMrkdwn(error?.message ?? 'unknown')}`,
          result.undone.length > 0 ? `Undone: ${escapeMrkdwn(result.undone.join('; '))}` : 'Nothing needed to be undone.',
          result.leftBehind.length > 0 ? `*Needs attention*: ${escapeMrkdwn(result.leftBehind.join('; '))}` : undefined,
          `Next: ${escapeMrkdwn(error?.hint ?? `check the cause, then run \`${COMMAND} status ${result.instance}\` and request again.`)}`,
        ]
          .filter(Boolean)
          .join('\n'),
      ),
    );
  }
  if (result.checks.length > 0) {
    blocks.push(section(['*Checks*', ...result.checks.map((check) => `${check.ok ? ':white_check_mark:' : ':x:'} ${escapeMrkdwn(check.name)}: ${escapeMrkdwn(clip(check.detail, 300))}`)].join('\n')));
  }
  const text = result.ok ? `${result.operation} ${result.instance}: done` : `${result.operation} ${result.instance}: failed`;
  return { text, blocks };
}

/** Builds the reply to `status <instance>`. */
export function statusMessage(instance: string, plan: Plan | undefined, error: string | undefined): SlackMessage {
  if (!plan) return plainMessage(`:warning: The status of *${escapeMrkdwn(instance)}* could not be read: ${escapeMrkdwn(error ?? 'unknown error')}`);
  const summary = plan.summary;
  const head = [
    `*${escapeMrkdwn(instance)}*: single sign-on is *${summary.ssoEnabled ? 'on' : 'off'}*`,
    `Client id: ${summary.clientId ? `\`${summary.clientId}\`` : '(none)'}`,
    `authentik ${summary.authentikVersion ?? '?'}, EspoCRM ${summary.espocrmVersion ?? '?'}`,
    plan.changes.length === 0 ? 'Matches the configuration.' : `Differs from the configuration in ${plan.changes.length} field(s):`,
  ].join('\n');
  const blocks: KnownBlock[] = [section(head)];
  if (plan.changes.length > 0 || plan.errors.length > 0 || plan.warnings.length > 0) {
    const body = planSections(plan).join('\n\n');
    blocks.push(section(body));
  }
  return { text: `${instance}: single sign-on ${summary.ssoEnabled ? 'on' : 'off'}`, blocks };
}

/**
 * Builds the reply to `list`. Lines that would take the message past Slack's size limit are left
 * out, and the message states how many.
 */
export function listMessage(entries: readonly InstanceListEntry[]): SlackMessage {
  const allLines = entries.map((entry) => {
    let state = entry.ssoEnabled ? 'single sign-on on' : 'single sign-on off';
    if (entry.ssoEnabled === undefined) state = 'state unknown (unreachable)';
    const pending = entry.pending
      ? ` · ${entry.pending.operation} ${entry.pending.state} (by <@${entry.pending.requesterId}>${entry.pending.permalink ? `, <${entry.pending.permalink}|request>` : ''})`
      : '';
    return `• *${escapeMrkdwn(entry.name)}* ${escapeMrkdwn(entry.url)}: ${state}${pending}`;
  });
  const render = (lines: string[]): KnownBlock[] => {
    const omitted = allLines.length - lines.length;
    const more = omitted > 0 ? [`… and ${omitted} more; \`${COMMAND} status ${escapeMrkdwn('<instance>')}\` shows one instance.`] : [];
    return chunkText(['*Instances*', ...lines, ...more].join('\n'), LIMITS.sectionText).map(section);
  };
  let shown = allLines;
  let blocks = render(shown);
  while (shown.length > 0 && JSON.stringify(blocks).length > LIMITS.blocksJson) {
    shown = shown.slice(0, Math.floor(shown.length * 0.9));
    blocks = render(shown);
  }
  return { text: `${entries.length} instance(s)`, blocks };
}

/** Builds the dialog that `/espo-sso setup` opens when no instance is given. */
export function setupModal(instances: readonly InstanceConfig[], channelId: string): View {
  const describe = (instance: InstanceConfig): string => {
    const options = instance.options;
    const teams = Object.entries(options.teams).map(([team, group]) => `${team} ← ${group}`).join(', ');
    return `*${escapeMrkdwn(instance.name)}* ${escapeMrkdwn(instance.url)}: fallback login ${options.fallbackLogin ? 'on' : 'off'}, admins through SSO ${options.allowAdminOidcLogin ? 'yes' : 'no'}, create users ${options.createUsers ? 'yes' : 'no'}, sync user data ${options.syncUserData ? 'yes' : 'no'}${teams ? `, teams ${escapeMrkdwn(teams)}` : ''}`;
  };
  return {
    type: 'modal',
    callback_id: VIEW.setup,
    private_metadata: JSON.stringify({ channelId }),
    title: { type: 'plain_text', text: 'Set up SSO' },
    submit: { type: 'plain_text', text: 'Plan' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: BLOCK.modalInstance,
        label: { type: 'plain_text', text: 'EspoCRM instance' },
        element: {
          type: 'static_select',
          action_id: ACTION.instanceSelect,
          placeholder: { type: 'plain_text', text: 'Pick an instance' },
          options: instances.slice(0, 100).map((instance) => ({
            text: { type: 'plain_text', text: clip(instance.name, 75) },
            value: instance.name,
          })),
        },
      },
      section(clip(['*Options from the configuration*', ...instances.map(describe)].join('\n'), LIMITS.sectionText)),
      context('The bot posts the plan in the channel for a second person to approve. Options are changed in the configuration file.'),
    ],
  };
}
