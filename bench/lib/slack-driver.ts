import { type Agent } from 'node:http';

import { type RequestStore } from '../../src/jobs/request-store';
import { ACTION } from '../../src/slack/ids';
import { type FakeMessage, type FakeSlack, type JsonObject, sendBlockAction, sendSlashCommand } from '../../sandbox/slack';
import { SANDBOX } from '../../sandbox/world';

/**
 * Plays the users of a rollout: the requester types `/espo-sso setup <instance>`, and the approver
 * clicks Approve on the request message the bot posts. Every request is signed as Slack signs it
 * and goes to the bot's HTTP receiver on 127.0.0.1.
 */

/** The Approve button of a request message: its block, the request id and the instance it names. */
export interface ApproveButton {
  blockId: string;
  requestId: string;
  instance: string;
}

/** Finds the Approve button of a message; the instance comes from the confirm title "Apply this plan to <instance>?". */
export function approveButton(message: { blocks?: JsonObject[] }): ApproveButton | undefined {
  for (const block of message.blocks ?? []) {
    if (block.type !== 'actions' || !Array.isArray(block.elements)) continue;
    for (const element of block.elements as JsonObject[]) {
      if (element.action_id !== ACTION.approve) continue;
      const title = ((element.confirm as JsonObject | undefined)?.title as JsonObject | undefined)?.text;
      const instance = typeof title === 'string' ? /^Apply this plan to (.+)\?$/.exec(title)?.[1] : undefined;
      if (typeof block.block_id !== 'string' || typeof element.value !== 'string' || instance === undefined) return undefined;
      return { blockId: block.block_id, requestId: element.value, instance };
    }
  }
  return undefined;
}

/** Tells whether a message text is the reply that ends an apply: `<operation> <instance>: done` or `: failed`. */
export function isFinalReplyText(text: string): boolean {
  return /: (done|failed)$/.test(text);
}

/** Returns the reply that ends an apply, if the message has one. */
export function finalReply(message: FakeMessage): FakeMessage | undefined {
  return message.replies.find((reply) => isFinalReplyText(reply.text));
}

/** Sends `/espo-sso setup <instance>` as the requester; throws unless the bot acknowledged that it is planning. */
export async function requestSetup(botUrl: string, agent: Agent, instance: string): Promise<void> {
  const response = await sendSlashCommand(
    botUrl,
    SANDBOX.signingSecret,
    { text: `setup ${instance}`, userId: SANDBOX.requesterId, channelId: SANDBOX.channelId, teamId: SANDBOX.teamId },
    { agent },
  );
  const text = (response.json as { text?: string } | undefined)?.text ?? response.body;
  if (response.status !== 200 || !text.includes('Planning')) {
    throw new Error(`setup ${instance} was not accepted: HTTP ${response.status}, "${text}"`);
  }
}

/** Clicks Approve on message `messageTs` as the approver; throws unless the click was acknowledged with 200. */
export async function clickApprove(botUrl: string, agent: Agent, slack: FakeSlack, messageTs: string, button: ApproveButton): Promise<void> {
  const response = await sendBlockAction(
    botUrl,
    SANDBOX.signingSecret,
    {
      userId: SANDBOX.approverId,
      channelId: SANDBOX.channelId,
      teamId: SANDBOX.teamId,
      messageTs,
      actionId: ACTION.approve,
      blockId: button.blockId,
      value: button.requestId,
      message: slack.messagePayload(SANDBOX.channelId, messageTs),
    },
    { agent },
  );
  if (response.status !== 200) throw new Error(`approve click for ${button.instance} returned HTTP ${response.status}: ${response.body}`);
}

/**
 * Tells whether the bot has stored the request as pending, with the ts of its message. The bot
 * posts the message and requests its permalink before it stores the ts. Until then it rejects a
 * click on the message as not belonging to the request, so the driver clicks only after this.
 */
export async function isPending(requests: RequestStore, requestId: string): Promise<boolean> {
  return (await requests.get(requestId))?.state === 'pending';
}

/** Polls `probe` every `intervalMs` until it returns a value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 2): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Request messages in the request channel, by instance. */
export function requestMessagesByInstance(slack: FakeSlack): Map<string, { message: FakeMessage; button: ApproveButton }> {
  const found = new Map<string, { message: FakeMessage; button: ApproveButton }>();
  for (const message of slack.messages(SANDBOX.channelId)) {
    const button = approveButton(message);
    if (button) found.set(button.instance, { message, button });
  }
  return found;
}
