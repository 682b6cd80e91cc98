import { type JsonObject } from './block-kit';

/** An earlier version of a message, kept when `chat.update` or a response URL replaced it. */
export interface FakeMessageVersion {
  text: string;
  blocks?: JsonObject[];
  attachments?: JsonObject[];
  /** Epoch milliseconds when this version was replaced. */
  replacedAt: number;
}

/** A message the bot posted, in its current state. */
export interface FakeMessage {
  channel: string;
  ts: string;
  /** Parent's ts for a thread reply; undefined for a top-level message. */
  threadTs?: string;
  text: string;
  blocks?: JsonObject[];
  attachments?: JsonObject[];
  metadata?: JsonObject;
  /** Bot user ID of the author. */
  user: string;
  botId: string;
  /** True for a reply that was also sent to the channel (`reply_broadcast`). */
  replyBroadcast: boolean;
  /** Origin: `chat.postMessage`, or a response URL post with `response_type: in_channel`. */
  source: 'chat.postMessage' | 'response_url';
  /** Epoch milliseconds. */
  postedAt: number;
  /** Earlier versions, oldest first; empty when never edited. */
  history: FakeMessageVersion[];
  editedAt?: number;
  deleted: boolean;
  /** Thread replies in posting order; always empty for a reply. */
  replies: FakeMessage[];
}

/** An ephemeral message: seen only by `user`, never stored in the channel's history. */
export interface FakeEphemeral {
  channel: string;
  /** Recipient user ID. */
  user: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: JsonObject[];
  attachments?: JsonObject[];
  source: 'chat.postEphemeral' | 'response_url';
  postedAt: number;
}

/** New content for a message; an undefined field keeps the current value. */
export interface MessageContent {
  text?: string;
  blocks?: JsonObject[];
  attachments?: JsonObject[];
}

export type ThreadCheck = { ok: true } | { ok: false; error: string };

/** Messages and ephemerals, per channel, in posting order. */
export class ConversationStore {
  private readonly topLevel: FakeMessage[] = [];
  private readonly byKey = new Map<string, FakeMessage>();
  private readonly ephemeralList: FakeEphemeral[] = [];

  /**
   * Checks that `threadTs` names a top-level message in the channel. Slack documents that
   * `thread_ts` must be the parent's ts, not a reply's.
   * NOTE: real Slack may accept an unknown or a reply's ts without an error. The fake rejects
   * both (`thread_not_found`, `invalid_thread_ts`) so that such bugs fail in tests.
   */
  checkThreadParent(channel: string, threadTs: string): ThreadCheck {
    const target = this.byKey.get(messageKey(channel, threadTs));
    if (!target || target.deleted) return { ok: false, error: 'thread_not_found' };
    if (target.threadTs !== undefined) return { ok: false, error: 'invalid_thread_ts' };
    return { ok: true };
  }

  add(message: FakeMessage): void {
    this.byKey.set(messageKey(message.channel, message.ts), message);
    if (message.threadTs === undefined) {
      this.topLevel.push(message);
      return;
    }
    const parent = this.byKey.get(messageKey(message.channel, message.threadTs));
    if (!parent) throw new Error(`thread parent ${message.threadTs} not found in ${message.channel}`);
    parent.replies.push(message);
  }

  /** Finds a top-level message or a reply, including deleted ones, and returns the live object. */
  find(channel: string, ts: string): FakeMessage | undefined {
    return this.byKey.get(messageKey(channel, ts));
  }

  /** Replaces the content of a message and keeps the previous version in `history`. */
  update(message: FakeMessage, content: MessageContent, at: number): void {
    message.history.push({
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
      ...(message.attachments ? { attachments: message.attachments } : {}),
      replacedAt: at,
    });
    if (content.text !== undefined) message.text = content.text;
    // An empty blocks array removes the blocks, as in chat.update.
    if (content.blocks !== undefined) message.blocks = content.blocks.length > 0 ? content.blocks : undefined;
    if (content.attachments !== undefined) {
      message.attachments = content.attachments.length > 0 ? content.attachments : undefined;
    }
    message.editedAt = at;
  }

  addEphemeral(ephemeral: FakeEphemeral): void {
    this.ephemeralList.push(ephemeral);
  }

  /** Deep copies of the top-level messages, optionally of one channel. */
  messages(channel?: string): FakeMessage[] {
    return this.topLevel
      .filter((message) => channel === undefined || message.channel === channel)
      .map((message) => structuredClone(message));
  }

  ephemerals(channel?: string): FakeEphemeral[] {
    return this.ephemeralList
      .filter((ephemeral) => channel === undefined || ephemeral.channel === channel)
      .map((ephemeral) => structuredClone(ephemeral));
  }

  clear(): void {
    this.topLevel.length = 0;
    this.byKey.clear();
    this.ephemeralList.length = 0;
  }
}

function messageKey(channel: string, ts: string): string {
  return `${channel}/${ts}`;
}
