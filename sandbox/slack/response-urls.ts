import { type JsonObject, isJsonObject } from './block-kit';
import { type FakeResponse, parseJson } from '../common/fake-server';
import { type MethodContext, isTrue, readMessageContent } from './web-api-methods';

/** Slack accepts at most 5 posts to one response URL. */
export const RESPONSE_URL_MAX_POSTS = 5;

/** Slack lets a response URL be used for 30 minutes. */
export const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

/**
 * Origin of a response URL: the channel, user and message it belongs to. With it, posts act as
 * on Slack: an ephemeral reply to `userId` in `channel`, an `in_channel` message, or replacing
 * or deleting the message at `messageTs` (the message a button was clicked on).
 */
export interface ResponseUrlContext {
  channel?: string;
  userId?: string;
  messageTs?: string;
}

/** Effect of a post to a response URL on the fake workspace. */
export type ResponseUrlEffect = 'ephemeral' | 'in_channel' | 'replaced' | 'deleted' | 'none';

/** One POST to a response URL, accepted or not. */
export interface FakeResponseUrlPost {
  id: string;
  /** Parsed JSON body, or the `payload` of a form body; undefined when unparseable. */
  body: JsonObject | undefined;
  rawBody: string;
  status: number;
  /** Slack's error code for a rejected post, e.g. `used_url`. */
  error?: string;
  effect: ResponseUrlEffect;
  /** Epoch milliseconds. */
  at: number;
}

interface ResponseUrlEntry {
  context: ResponseUrlContext;
  createdAt: number;
  expired: boolean;
  acceptedPosts: number;
  posts: FakeResponseUrlPost[];
}

/** Response URLs served at `/response/<id>`. */
export class ResponseUrlSink {
  private readonly entries = new Map<string, ResponseUrlEntry>();

  constructor(private readonly context: MethodContext) {}

  register(id: string, context: ResponseUrlContext): void {
    const existing = this.entries.get(id);
    if (existing) {
      existing.context = { ...context };
      return;
    }
    this.entries.set(id, {
      context: { ...context },
      createdAt: this.context.now(),
      expired: false,
      acceptedPosts: 0,
      posts: [],
    });
  }

  /** Makes every further post fail with `expired_url`, as Slack does after 30 minutes. */
  expire(id: string): void {
    this.entry(id).expired = true;
  }

  posts(id: string): FakeResponseUrlPost[] {
    return structuredClone(this.entries.get(id)?.posts ?? []);
  }

  /** Returns every post to every response URL, in arrival order. */
  allPosts(): FakeResponseUrlPost[] {
    return [...this.entries.values()]
      .flatMap((entry) => entry.posts)
      .sort((first, second) => first.at - second.at)
      .map((post) => structuredClone(post));
  }

  clear(): void {
    this.entries.clear();
  }

  /** Handles one POST. A URL that was never registered is accepted without any effect. */
  handle(id: string, rawBody: string, contentType: string): FakeResponse {
    const entry = this.entry(id);
    const now = this.context.now();
    const body = parseResponseBody(rawBody, contentType);
    const record = (status: number, effect: ResponseUrlEffect, error?: string): FakeResponse => {
      entry.posts.push({ id, body, rawBody, status, ...(error ? { error } : {}), effect, at: now });
      return { status, body: error ? { ok: false, error } : { ok: true } };
    };

    if (entry.expired || now - entry.createdAt > RESPONSE_URL_TTL_MS) return record(404, 'none', 'expired_url');
    if (entry.acceptedPosts >= RESPONSE_URL_MAX_POSTS) return record(404, 'none', 'used_url');
    if (!body) return record(400, 'none', 'invalid_payload');

    const deleteOriginal = isTrue(body.delete_original);
    let effect: ResponseUrlEffect;
    if (deleteOriginal) {
      effect = this.deleteOriginal(entry.context);
    } else {
      const read = readMessageContent(body);
      if (!read.ok) return record(400, 'none', String(read.response.error));
      effect = this.deliver(entry.context, body, read.content);
    }
    // NOTE: only accepted posts count towards the limit; whether Slack also counts rejected
    // posts is not documented.
    entry.acceptedPosts += 1;
    return record(200, effect);
  }

  private entry(id: string): ResponseUrlEntry {
    if (!this.entries.has(id)) this.register(id, {});
    return this.entries.get(id) as ResponseUrlEntry;
  }

  private deleteOriginal(context: ResponseUrlContext): ResponseUrlEffect {
    if (!context.channel || !context.messageTs) return 'none';
    const message = this.context.conversations.find(context.channel, context.messageTs);
    if (!message || message.deleted) return 'none';
    message.deleted = true;
    return 'deleted';
  }

  private deliver(
    context: ResponseUrlContext,
    body: JsonObject,
    content: { text?: string; blocks?: JsonObject[]; attachments?: JsonObject[] },
  ): ResponseUrlEffect {
    const { conversations, workspace } = this.context;
    const channel = context.channel;
    if (!channel) return 'none';

    if (isTrue(body.replace_original) && context.messageTs) {
      const message = conversations.find(channel, context.messageTs);
      if (!message || message.deleted) return 'none';
      conversations.update(message, content, this.context.now());
      return 'replaced';
    }

    const text = content.text ?? '';
    const blocks = content.blocks && content.blocks.length > 0 ? { blocks: content.blocks } : {};
    const attachments = content.attachments && content.attachments.length > 0 ? { attachments: content.attachments } : {};
    const requestedThread = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
    const threadTs = requestedThread && conversations.checkThreadParent(channel, requestedThread).ok ? { threadTs: requestedThread } : {};

    if (body.response_type === 'in_channel') {
      conversations.add({
        channel,
        ts: workspace.nextTs(),
        ...threadTs,
        text,
        ...blocks,
        ...attachments,
        user: workspace.botUserId,
        botId: workspace.botId,
        replyBroadcast: false,
        source: 'response_url',
        postedAt: this.context.now(),
        history: [],
        deleted: false,
        replies: [],
      });
      return 'in_channel';
    }
    if (!context.userId) return 'none';
    conversations.addEphemeral({
      channel,
      user: context.userId,
      ts: workspace.nextTs(),
      ...threadTs,
      text,
      ...blocks,
      ...attachments,
      source: 'response_url',
      postedAt: this.context.now(),
    });
    return 'ephemeral';
  }
}

/** Reads a JSON body, or a form body whose `payload` field contains JSON. */
function parseResponseBody(rawBody: string, contentType: string): JsonObject | undefined {
  if (contentType.includes('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(rawBody).get('payload');
    const parsed = payload === null ? undefined : parseJson(payload);
    return isJsonObject(parsed) ? parsed : undefined;
  }
  const parsed = parseJson(rawBody);
  return isJsonObject(parsed) ? parsed : undefined;
}
