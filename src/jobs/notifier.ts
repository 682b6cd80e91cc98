import { type ApplyResult, type Plan, type ProgressEvent } from '../provisioning/types';
import { type RequestRecord } from './request-store';

/** One line of the audit trail. */
export interface AuditEvent {
  event: 'requested' | 'planned' | 'approved' | 'rejected' | 'expired' | 'applied' | 'failed' | 'superseded' | 'refused';
  requestId: string;
  instance: string;
  operation: string;
  /** The Slack user who acted. */
  userId: string;
  detail?: string;
}

/** Instance line for `/espo-sso list`. */
export interface InstanceListEntry {
  name: string;
  url: string;
  /** undefined when EspoCRM could not be reached. */
  ssoEnabled: boolean | undefined;
  pending: Pick<RequestRecord, 'id' | 'operation' | 'state' | 'requesterId' | 'permalink'> | undefined;
}

/**
 * What workers tell people. The Slack layer implements it with Block Kit messages, so the
 * job code knows nothing of Slack's formats. Every method may throw; `NotInChannelError`
 * means the bot cannot post in the request's channel.
 */
export interface Notifier {
  /**
   * Posts the plan with Approve/Reject buttons; returns the message ts and permalink. `onPosted`
   * runs as soon as the message exists, before the thread replies and the permalink.
   */
  postApprovalRequest(
    request: RequestRecord,
    plan: Plan,
    onPosted?: (ts: string) => Promise<void>,
  ): Promise<{ ts: string; permalink: string | undefined }>;
  /** Redraws the request message for its current state (decision, expiry), without buttons once decided. */
  updateRequestMessage(request: RequestRecord): Promise<void>;
  /** Posts or edits the one progress reply in the request's thread; returns its ts. */
  showProgress(request: RequestRecord, steps: ProgressEvent[], progressTs: string | undefined): Promise<string>;
  /** Posts the result as a new reply in the request's thread. */
  postResult(request: RequestRecord, result: ApplyResult): Promise<void>;
  /** Tells the requester that no plan could be made. */
  postPlanFailure(request: RequestRecord, message: string): Promise<void>;
  /** Tells the thread that the state drifted and links the fresh request. */
  postDrift(request: RequestRecord, fresh: RequestRecord): Promise<void>;
  /** Shows the requester the status of an instance (ephemeral). */
  postStatus(target: { channelId: string; userId: string }, instance: string, plan: Plan | undefined, error: string | undefined): Promise<void>;
  /** Shows the requester the instance list (ephemeral). */
  postList(target: { channelId: string; userId: string }, entries: InstanceListEntry[]): Promise<void>;
  /** Writes one audit line to the audit channel, if one is configured. */
  audit(event: AuditEvent): Promise<void>;
}
