import { type FakeRequest, type FakeResponse, FakeServer, parseJson } from '../common/fake-server';
import { type JsonObject, isJsonObject } from './block-kit';
import { ConversationStore, type FakeEphemeral, type FakeMessage } from './conversations';
import {
  type FakeResponseUrlPost,
  type ResponseUrlContext,
  ResponseUrlSink,
} from './response-urls';
import { type FakeView, type TriggerOptions, ViewStore } from './views';
import {
  type MethodContext,
  METHODS_WITHOUT_AUTH,
  WEB_API_METHODS,
  failure,
  messageJson,
} from './web-api-methods';
import { type FakeUserGroupSeed, type FakeUserSeed, Workspace, type WorkspaceOptions } from './workspace';

/**
 * A fake Slack Web API on 127.0.0.1 for tests and the offline demo. Point the bot's
 * `@slack/web-api` client at `apiUrl` (Bolt: `clientOptions.slackApiUrl`). It responds like
 * Slack (HTTP 200 with `{ ok, ... }`, 429 with `Retry-After`), applies Slack's Block Kit and
 * threading rules, records every call and keeps the resulting messages, ephemerals and modals.
 * It also serves response URLs at `/response/<id>`.
 */

export interface FakeSlackOptions extends WorkspaceOptions {
  /** The bot token the fake accepts as `Authorization: Bearer <token>`. Default `xoxb-test`. */
  botToken?: string;
  /** Delay added to every response, in milliseconds. */
  latencyMs?: number;
  /** Clock in epoch milliseconds, for trigger and response URL expiry. Default Date.now. */
  now?: () => number;
}

/** A Web API call: the arguments the fake received and the response it sent. */
export interface SlackApiCall {
  method: string;
  /**
   * Parsed arguments, without `token`. Form values stay strings, except `blocks`,
   * `attachments`, `view` and `metadata`, which are JSON-decoded as Slack does.
   */
  args: JsonObject;
  /** Epoch milliseconds. */
  at: number;
  /** HTTP status: 200, or 429 when rate limited. */
  status: number;
  /** The JSON body sent back. */
  response: JsonObject;
}

/** Rate-limit rule: the method returns HTTP 429 for its next `times` calls. */
export interface RateLimitRule {
  times: number;
  /** Value of the `Retry-After` header, in seconds. */
  retryAfterSeconds: number;
}

/** Arguments that Slack clients send as JSON text inside a form body. */
const JSON_FORM_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

export class FakeSlack {
  /**
   * The underlying server: use it for `latencyMs`, the raw request log and `injectFault`
   * (e.g. `{ path: '/api/chat.postMessage', sequence: [503] }`). Injected faults respond before
   * the fake parses the call, so they do not appear in `calls`.
   */
  readonly server: FakeServer;
  readonly workspace: Workspace;
  readonly botToken: string;
  readonly calls: SlackApiCall[] = [];
  private readonly conversations = new ConversationStore();
  private readonly viewStore = new ViewStore();
  private readonly responseUrls: ResponseUrlSink;
  private readonly context: MethodContext;
  private readonly rateLimits = new Map<string, RateLimitRule[]>();
  private issuedTriggers = 0;

  constructor(options: FakeSlackOptions = {}) {
    this.botToken = options.botToken ?? 'xoxb-test';
    this.workspace = new Workspace(options);
    const now = options.now ?? Date.now;
    this.context = { workspace: this.workspace, conversations: this.conversations, views: this.viewStore, now };
    this.responseUrls = new ResponseUrlSink(this.context);
    this.server = new FakeServer({ name: 'fake Slack', latencyMs: options.latencyMs });
    this.server.route('POST', '/api/:method', (request) => this.handleApiCall(request));
    this.server.route('GET', '/api/:method', (request) => this.handleApiCall(request));
    this.server.route('POST', '/response/:id', (request) =>
      this.responseUrls.handle(decodeURIComponent(request.params.id ?? ''), request.rawBody, String(request.headers['content-type'] ?? '')),
    );
  }

  /** Starts listening on 127.0.0.1 (port 0 picks a free one) and returns the base URL. */
  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return this.server.url;
  }

  /** Value for `slackApiUrl`, e.g. `http://127.0.0.1:41234/api/`. */
  get apiUrl(): string {
    return `${this.server.url}/api/`;
  }

  /** Recorded calls of one method, e.g. `callsTo('chat.postMessage')`. */
  callsTo(method: string): SlackApiCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Top-level messages with their current content and their replies, in posting order. */
  messages(channel?: string): FakeMessage[] {
    return this.conversations.messages(channel);
  }

  /** Returns a copy of one top-level message or reply, found by channel and ts. */
  message(channel: string, ts: string): FakeMessage | undefined {
    const found = this.conversations.find(channel, ts);
    return found ? structuredClone(found) : undefined;
  }

  ephemerals(channel?: string): FakeEphemeral[] {
    return this.conversations.ephemerals(channel);
  }

  /** Modals opened or pushed, in their current state. */
  views(): FakeView[] {
    return this.viewStore.views();
  }

  /**
   * Builds the `message` object that Slack puts into a block_actions payload for a message the
   * bot posted, for `sendBlockAction`.
   */
  messagePayload(channel: string, ts: string): JsonObject {
    const found = this.conversations.find(channel, ts);
    if (!found) throw new Error(`fake Slack has no message ${ts} in channel ${channel}`);
    return messageJson(found, this.workspace);
  }

  /** Makes `method` return HTTP 429 with `Retry-After` for its next `rule.times` calls. */
  rateLimit(method: string, rule: RateLimitRule): this {
    const rules = this.rateLimits.get(method) ?? [];
    rules.push({ ...rule });
    this.rateLimits.set(method, rules);
    return this;
  }

  clearRateLimits(): this {
    this.rateLimits.clear();
    return this;
  }

  /** Registers a trigger_id that `views.open` and `views.push` accept for `ttlMs` (default 3000). */
  registerTrigger(triggerId: string, options: TriggerOptions = {}): this {
    this.viewStore.registerTrigger(triggerId, options, this.context.now());
    return this;
  }

  /** Creates and registers a new trigger_id in Slack's format. */
  issueTriggerId(options: TriggerOptions = {}): string {
    this.issuedTriggers += 1;
    const triggerId = `${this.issuedTriggers}.${this.workspace.teamId.slice(1)}.${(0x1f2e3d4c + this.issuedTriggers).toString(16)}`;
    this.registerTrigger(triggerId, options);
    return triggerId;
  }

  /** Makes a registered trigger_id expired, as if more than 3 seconds had passed. */
  expireTrigger(triggerId: string): this {
    this.viewStore.expireTrigger(triggerId);
    return this;
  }

  /**
   * Returns the URL of response URL `id`, `<base>/response/<id>`. `context` ties it to a channel,
   * user and message, so posts show up as ephemerals, channel messages or message updates.
   */
  responseUrl(id: string, context: ResponseUrlContext = {}): string {
    this.responseUrls.register(id, context);
    return `${this.url}/response/${encodeURIComponent(id)}`;
  }

  /** Posts to response URL `id`, accepted or rejected, in arrival order. */
  responses(id: string): FakeResponseUrlPost[] {
    return this.responseUrls.posts(id);
  }

  allResponses(): FakeResponseUrlPost[] {
    return this.responseUrls.allPosts();
  }

  /** Makes response URL `id` reject every further post with `expired_url`. */
  expireResponseUrl(id: string): this {
    this.responseUrls.expire(id);
    return this;
  }

  joinChannel(channelId: string): this {
    this.workspace.joinChannel(channelId);
    return this;
  }

  leaveChannel(channelId: string): this {
    this.workspace.leaveChannel(channelId);
    return this;
  }

  addUser(user: FakeUserSeed): this {
    this.workspace.addUser(user);
    return this;
  }

  setUserGroup(group: FakeUserGroupSeed): this {
    this.workspace.setUserGroup(group);
    return this;
  }

  /** Forgets calls, messages, ephemerals, views, triggers, response URLs and rate limits. */
  clear(): void {
    this.calls.length = 0;
    this.conversations.clear();
    this.viewStore.clear();
    this.responseUrls.clear();
    this.rateLimits.clear();
  }

  private handleApiCall(request: FakeRequest): FakeResponse {
    const method = request.params.method ?? '';
    const parsed = parseArguments(request);
    const { token: bodyToken, ...args } = parsed.args;
    const at = this.context.now();
    const respond = (response: JsonObject, status = 200, headers: Record<string, string> = {}): FakeResponse => {
      this.calls.push({ method, args, at, status, response });
      return { status, headers, body: response };
    };

    const handler = WEB_API_METHODS[method];
    if (!handler) return respond(failure('unknown_method'));

    const limit = this.takeRateLimit(method);
    if (limit) {
      return respond(failure('ratelimited'), 429, { 'Retry-After': String(limit.retryAfterSeconds) });
    }
    if (parsed.error) return respond(failure(parsed.error));

    if (!METHODS_WITHOUT_AUTH.has(method)) {
      // Slack reads the token from the Authorization header, or from a `token` form field.
      const token = bearerToken(request) ?? (parsed.isJson ? undefined : bodyToken);
      if (typeof token !== 'string' || token === '') return respond(failure('not_authed'));
      if (token !== this.botToken) return respond(failure('invalid_auth'));
    }

    return respond(handler(args, this.context));
  }

  private takeRateLimit(method: string): RateLimitRule | undefined {
    const rules = this.rateLimits.get(method);
    const rule = rules?.[0];
    if (!rules || !rule) return undefined;
    rule.times -= 1;
    if (rule.times <= 0) rules.shift();
    return rule;
  }
}

function bearerToken(request: FakeRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

interface ParsedArguments {
  args: JsonObject;
  isJson: boolean;
  /** Slack's error code when the body could not be read. */
  error?: string;
}

/**
 * Reads the arguments of a Web API call from the query string (GET), a JSON body or a form body.
 * `@slack/web-api` sends forms and encodes object arguments such as `blocks` as JSON text.
 */
function parseArguments(request: FakeRequest): ParsedArguments {
  const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/json')) {
    const parsed = parseJson(request.rawBody);
    if (!isJsonObject(parsed)) return { args: {}, isJson: true, error: 'invalid_json' };
    return { args: decodeJsonFields(parsed), isJson: true };
  }
  if (request.rawBody !== '' && contentType !== '' && !contentType.startsWith('application/x-www-form-urlencoded')) {
    // multipart/form-data is only used for file uploads, which the fake does not implement.
    return { args: {}, isJson: false, error: 'invalid_form_data' };
  }
  const args: JsonObject = {};
  for (const [key, value] of request.query) args[key] = value;
  for (const [key, value] of new URLSearchParams(request.rawBody)) args[key] = value;
  return { args: decodeJsonFields(args), isJson: false };
}

/** JSON-decodes the object arguments; a value that is not valid JSON stays a string for the method to reject. */
function decodeJsonFields(args: JsonObject): JsonObject {
  const decoded: JsonObject = { ...args };
  for (const key of JSON_FORM_FIELDS) {
    const value = decoded[key];
    if (typeof value !== 'string') continue;
    const parsed = parseJson(value);
    if (parsed !== undefined) decoded[key] = parsed;
  }
  return decoded;
}
