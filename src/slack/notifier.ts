import { type WebClient } from '@slack/web-api';

import { type Config } from '../config/load';
import { type AuditEvent, type InstanceListEntry, type Notifier } from '../jobs/notifier';
import { type RequestRecord } from '../jobs/request-store';
import { type Logger } from '../logging/logger';
import { type ApplyResult, type Plan, type ProgressEvent } from '../provisioning/types';
import { escapeMrkdwn } from './text';
import {
  type SlackMessage,
  fullPlanMessages,
  listMessage,
  plainMessage,
  progressMessage,
  requestMessage,
  resultMessage,
  statusMessage,
} from './views';
import { NotInChannelError, callSlack } from './web-client';

/** Posts requests, progress and results to Slack with the bot token (response URLs expire too soon for approvals). */
export class SlackNotifier implements Notifier {
  constructor(
    private readonly client: WebClient,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  private instanceUrl(name: string): string {
    return this.config.instances.find((instance) => instance.name === name)?.url ?? name;
  }

  private async post(channel: string, message: SlackMessage, threadTs?: string): Promise<string> {
    const result = await callSlack(
      () =>
        this.client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
          unfurl_media: false,
          ...(threadTs ? { thread_ts: threadTs } : {}),
        }),
      { channelId: channel },
    );
    if (!result.ts) throw new Error('chat.postMessage returned no ts');
    return result.ts;
  }

  private async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await callSlack(() => this.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks }), { channelId: channel });
  }

  /** An ephemeral message, or a direct message when the bot is not in the channel. */
  private async tell(target: { channelId: string; userId: string }, message: SlackMessage): Promise<void> {
    try {
      await callSlack(
        () => this.client.chat.postEphemeral({ channel: target.channelId, user: target.userId, text: message.text, blocks: message.blocks }),
        { channelId: target.channelId },
      );
    } catch (error) {
      if (!(error instanceof NotInChannelError)) throw error;
      const invite = `I am not a member of <#${target.channelId}>. Invite me there with \`/invite @espo-sso\`.`;
      await this.post(target.userId, { text: `${invite} ${message.text}`, blocks: [...plainMessage(invite).blocks, ...message.blocks] });
    }
  }

  async postApprovalRequest(
    request: RequestRecord,
    plan: Plan,
    onPosted?: (ts: string) => Promise<void>,
  ): Promise<{ ts: string; permalink: string | undefined }> {
    const message = requestMessage({ ...request, state: 'pending' }, plan, this.instanceUrl(request.instance));
    const ts = await this.post(request.channelId, message);
    if (onPosted) await onPosted(ts);
    if (message.truncated) {
      for (const chunk of fullPlanMessages(plan)) await this.post(request.channelId, chunk, ts);
    }
    let permalink: string | undefined;
    try {
      const result = await callSlack(() => this.client.chat.getPermalink({ channel: request.channelId, message_ts: ts }));
      permalink = result.permalink;
    } catch (error) {
      this.logger.warn({ requestId: request.id, err: { message: (error as Error).message } }, 'no permalink for the request message');
    }
    return { ts, permalink };
  }

  async updateRequestMessage(request: RequestRecord): Promise<void> {
    if (!request.messageTs || !request.plan) return;
    const message = requestMessage(request, request.plan, this.instanceUrl(request.instance));
    await this.update(request.channelId, request.messageTs, message);
  }

  async showProgress(request: RequestRecord, steps: ProgressEvent[], progressTs: string | undefined): Promise<string> {
    const message = progressMessage(steps);
    if (!request.messageTs) throw new Error(`request ${request.id} has no message to reply to`);
    if (progressTs) {
      await this.update(request.channelId, progressTs, message);
      return progressTs;
    }
    return this.post(request.channelId, message, request.messageTs);
  }

  async postResult(request: RequestRecord, result: ApplyResult): Promise<void> {
    const message = resultMessage(result);
    if (request.messageTs) await this.post(request.channelId, message, request.messageTs);
    else await this.tell({ channelId: request.channelId, userId: request.requesterId }, message);
  }

  async postPlanFailure(request: RequestRecord, message: string): Promise<void> {
    const text = `:x: The ${request.operation} request for *${escapeMrkdwn(request.instance)}* failed: ${escapeMrkdwn(message)}`;
    if (request.messageTs) await this.post(request.channelId, plainMessage(text), request.messageTs);
    else await this.tell({ channelId: request.channelId, userId: request.requesterId }, plainMessage(text));
  }

  async postDrift(request: RequestRecord, fresh: RequestRecord): Promise<void> {
    await this.updateRequestMessage(request);
    if (!request.messageTs) return;
    const text = `:warning: authentik, EspoCRM or the configuration changed after this plan was approved, so nothing was applied. A fresh plan (request ${fresh.id.slice(0, 8)}) follows in this channel and needs a new approval.`;
    await this.post(request.channelId, plainMessage(text), request.messageTs);
  }

  async postStatus(target: { channelId: string; userId: string }, instance: string, plan: Plan | undefined, error: string | undefined): Promise<void> {
    await this.tell(target, statusMessage(instance, plan, error));
  }

  async postList(target: { channelId: string; userId: string }, entries: InstanceListEntry[]): Promise<void> {
    await this.tell(target, listMessage(entries));
  }

  async audit(event: AuditEvent): Promise<void> {
    this.logger.info({ audit: true, ...event }, `audit: ${event.event} ${event.operation} ${event.instance}`);
    const channel = this.config.access.auditChannel;
    if (!channel) return;
    const text = `[espo-sso] ${event.event}: ${event.operation} ${event.instance} by <@${event.userId}> (request ${event.requestId.slice(0, 8)})${event.detail ? `: ${event.detail}` : ''}`;
    try {
      await this.post(channel, plainMessage(escapeMrkdwn(text).replace(/&lt;@(\w+)&gt;/g, '<@$1>')));
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message }, channel }, 'audit line not posted to Slack');
    }
  }
}
