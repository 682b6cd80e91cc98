import { createHmac } from 'node:crypto';
import http from 'node:http';

/**
 * A client that plays Slack's side towards the bot's HTTP receiver: it sends slash commands,
 * button clicks and modal submissions to `<botUrl>/slack/events`, signed with the app's signing
 * secret exactly as Slack signs them, in the same body formats.
 * It only sends to loopback addresses, because it exists to drive a local bot.
 */

export interface SignatureHeaders {
  'X-Slack-Signature': string;
  'X-Slack-Request-Timestamp': string;
}

/**
 * Computes Slack's request signature headers:
 * `v0=<hex HMAC-SHA256(signingSecret, "v0:" + timestamp + ":" + rawBody)>`.
 * `timestamp` is in Unix seconds.
 */
export function signSlackRequest(signingSecret: string, rawBody: string, timestamp: number): SignatureHeaders {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  return { 'X-Slack-Signature': `v0=${digest}`, 'X-Slack-Request-Timestamp': String(timestamp) };
}

/** Options of one signed request. */
export interface SendOptions {
  /** X-Slack-Request-Timestamp in Unix seconds; default now. An old value tests replay protection. */
  timestamp?: number;
  /** Signs with a wrong secret, as a forged request would be. */
  forgeSignature?: boolean;
  /** Agent for keep-alive connections. */
  agent?: http.Agent;
  /** Receiver path; default `/slack/events`. */
  path?: string;
  /** Adds `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` as Slack does when it retries an event. */
  retryNum?: number;
  /** Request timeout in milliseconds; default 10000. */
  timeoutMs?: number;
}

/** The bot's HTTP response. */
export interface SignedResponse {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown;
}

/** Workspace fields shared by every payload; each has a default so tests set only what matters. */
export interface WorkspaceFields {
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
  /** Legacy verification token that Slack still sends in every payload. */
  verificationToken?: string;
}

export interface SlashCommand extends WorkspaceFields {
  /** Default `/espo-sso`. */
  command?: string;
  text: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  /** URL that `respond()` posts to; use `FakeSlack.responseUrl()`. Default: an unused loopback port. */
  responseUrl?: string;
  /** Use `FakeSlack.issueTriggerId()` when the command opens a modal. */
  triggerId?: string;
}

export interface BlockAction extends WorkspaceFields {
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  /** ts of the message that contains the button. */
  messageTs: string;
  actionId: string;
  /** Button value; default: the value of the button with `actionId` in `message`, if found. */
  value?: string;
  /** Default: the block_id of the block in `message` that holds `actionId`, else `actions`. */
  blockId?: string;
  responseUrl?: string;
  triggerId?: string;
  /** The message object, e.g. from `FakeSlack.messagePayload()`; default a minimal bot message. */
  message?: Record<string, unknown>;
}

export interface ViewSubmission extends WorkspaceFields {
  userId: string;
  userName?: string;
  triggerId?: string;
  view: {
    callback_id: string;
    private_metadata?: string;
    state: { values: Record<string, Record<string, unknown>> };
    /** Default `V0000000001`; use the ID from `FakeSlack.views()` when the modal came from the fake. */
    id?: string;
    hash?: string;
    root_view_id?: string;
    previous_view_id?: string | null;
    blocks?: unknown[];
    title?: unknown;
    submit?: unknown;
    close?: unknown;
    external_id?: string;
  };
}

const DEFAULTS = {
  teamId: 'T0FAKETEAM',
  teamDomain: 'espo-sso-test',
  apiAppId: 'A0FAKEAPP',
  verificationToken: 'fake-verification-token',
  channelName: 'general',
  // Port 1 on loopback refuses connections, so a bot that posts to an unconfigured response URL
  // gets an error instead of reaching any other host.
  responseUrl: 'http://127.0.0.1:1/response-url-not-configured',
} as const;

/** Sends a slash command as Slack does: a signed `application/x-www-form-urlencoded` POST. */
export function sendSlashCommand(
  botUrl: string,
  signingSecret: string,
  command: SlashCommand,
  options: SendOptions = {},
): Promise<SignedResponse> {
  // Field order follows the bodies Slack sends.
  const form = new URLSearchParams([
    ['token', command.verificationToken ?? DEFAULTS.verificationToken],
    ['team_id', command.teamId ?? DEFAULTS.teamId],
    ['team_domain', command.teamDomain ?? DEFAULTS.teamDomain],
    ['channel_id', command.channelId],
    ['channel_name', command.channelName ?? DEFAULTS.channelName],
    ['user_id', command.userId],
    ['user_name', command.userName ?? command.userId.toLowerCase()],
    ['command', command.command ?? '/espo-sso'],
    ['text', command.text],
    ['api_app_id', command.apiAppId ?? DEFAULTS.apiAppId],
    ['is_enterprise_install', 'false'],
    ['response_url', command.responseUrl ?? DEFAULTS.responseUrl],
    ['trigger_id', command.triggerId ?? randomTriggerId()],
  ]);
  return sendSigned(botUrl, signingSecret, form.toString(), options);
}

/** Sends a button click as Slack does: a signed form POST with `payload=<block_actions JSON>`. */
export function sendBlockAction(
  botUrl: string,
  signingSecret: string,
  action: BlockAction,
  options: SendOptions = {},
): Promise<SignedResponse> {
  const teamId = action.teamId ?? DEFAULTS.teamId;
  const message = action.message ?? {
    type: 'message',
    user: 'U0FAKEBOT',
    ts: action.messageTs,
    text: '',
  };
  const located = findButton(message, action.actionId);
  const threadTs = typeof message.thread_ts === 'string' ? { thread_ts: message.thread_ts } : {};
  const payload = {
    type: 'block_actions',
    user: {
      id: action.userId,
      username: action.userName ?? action.userId.toLowerCase(),
      name: action.userName ?? action.userId.toLowerCase(),
      team_id: teamId,
    },
    api_app_id: action.apiAppId ?? DEFAULTS.apiAppId,
    token: action.verificationToken ?? DEFAULTS.verificationToken,
    container: {
      type: 'message',
      message_ts: action.messageTs,
      channel_id: action.channelId,
      is_ephemeral: false,
      ...threadTs,
    },
    trigger_id: action.triggerId ?? randomTriggerId(),
    team: { id: teamId, domain: action.teamDomain ?? DEFAULTS.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: action.channelId, name: action.channelName ?? DEFAULTS.channelName },
    message,
    state: { values: {} },
    response_url: action.responseUrl ?? DEFAULTS.responseUrl,
    actions: [
      {
        action_id: action.actionId,
        block_id: action.blockId ?? located.blockId ?? 'actions',
        text: located.text ?? { type: 'plain_text', text: action.actionId, emoji: true },
        value: action.value ?? located.value ?? '',
        ...(located.style ? { style: located.style } : {}),
        type: 'button',
        action_ts: slackTimestamp(Date.now()),
      },
    ],
  };
  const form = new URLSearchParams([['payload', JSON.stringify(payload)]]);
  return sendSigned(botUrl, signingSecret, form.toString(), options);
}

/** Sends a modal submission as Slack does: a signed form POST with `payload=<view_submission JSON>`. */
export function sendViewSubmission(
  botUrl: string,
  signingSecret: string,
  submission: ViewSubmission,
  options: SendOptions = {},
): Promise<SignedResponse> {
  const teamId = submission.teamId ?? DEFAULTS.teamId;
  const appId = submission.apiAppId ?? DEFAULTS.apiAppId;
  const view = submission.view;
  const viewId = view.id ?? 'V0000000001';
  const payload = {
    type: 'view_submission',
    team: { id: teamId, domain: submission.teamDomain ?? DEFAULTS.teamDomain },
    user: {
      id: submission.userId,
      username: submission.userName ?? submission.userId.toLowerCase(),
      name: submission.userName ?? submission.userId.toLowerCase(),
      team_id: teamId,
    },
    api_app_id: appId,
    token: submission.verificationToken ?? DEFAULTS.verificationToken,
    trigger_id: submission.triggerId ?? randomTriggerId(),
    view: {
      id: viewId,
      team_id: teamId,
      type: 'modal',
      blocks: view.blocks ?? [],
      private_metadata: view.private_metadata ?? '',
      callback_id: view.callback_id,
      state: view.state,
      hash: view.hash ?? `${Math.floor(Date.now() / 1000)}.fakehash`,
      title: view.title ?? { type: 'plain_text', text: 'Modal', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: view.close ?? null,
      submit: view.submit ?? null,
      previous_view_id: view.previous_view_id ?? null,
      root_view_id: view.root_view_id ?? viewId,
      app_id: appId,
      external_id: view.external_id ?? '',
      app_installed_team_id: teamId,
      bot_id: 'B0FAKEBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  const form = new URLSearchParams([['payload', JSON.stringify(payload)]]);
  return sendSigned(botUrl, signingSecret, form.toString(), options);
}

/** Signs `rawBody` and POSTs it as a form to `<botUrl><path>`. */
export function sendSigned(
  botUrl: string,
  signingSecret: string,
  rawBody: string,
  options: SendOptions = {},
): Promise<SignedResponse> {
  const target = new URL(options.path ?? '/slack/events', botUrl.endsWith('/') ? botUrl : `${botUrl}/`);
  if (!isLoopback(target.hostname)) {
    return Promise.reject(new Error(`refusing to send a signed Slack request to ${target.hostname}: only loopback hosts are allowed`));
  }
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const secret = options.forgeSignature ? `forged-${signingSecret}` : signingSecret;
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'Content-Length': Buffer.byteLength(rawBody),
    'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signSlackRequest(secret, rawBody, timestamp),
  };
  if (options.retryNum !== undefined) {
    headers['X-Slack-Retry-Num'] = String(options.retryNum);
    headers['X-Slack-Retry-Reason'] = 'http_timeout';
  }

  return new Promise((resolve, reject) => {
    const request = http.request(
      target,
      { method: 'POST', headers, agent: options.agent, timeout: options.timeoutMs ?? 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body, headers: response.headers, json: parseJsonOrUndefined(body) });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`signed Slack request to ${target.href} timed out`)));
    request.on('error', reject);
    request.end(rawBody);
  });
}

function isLoopback(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]' || hostname === '::1';
}

function parseJsonOrUndefined(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** Formats epoch milliseconds as a Slack timestamp, e.g. `1733000000.123456`. */
function slackTimestamp(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  const microseconds = (epochMs % 1000) * 1000;
  return `${seconds}.${String(microseconds).padStart(6, '0')}`;
}

let triggerCounter = 0;

/** Creates a trigger_id in Slack's format that no fake has registered, so `views.open` rejects it. */
function randomTriggerId(): string {
  triggerCounter += 1;
  return `${Date.now()}.${triggerCounter}.${Math.random().toString(16).slice(2, 18)}`;
}

interface LocatedButton {
  blockId?: string;
  value?: string;
  style?: string;
  text?: unknown;
}

/** Finds the element with `actionId` in a message's actions blocks or section accessories. */
function findButton(message: Record<string, unknown>, actionId: string): LocatedButton {
  const blocks = Array.isArray(message.blocks) ? (message.blocks as unknown[]) : [];
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    const elements = Array.isArray(block.elements) ? (block.elements as unknown[]) : [];
    const candidates = block.accessory === undefined ? elements : [...elements, block.accessory];
    for (const element of candidates) {
      if (!isRecord(element) || element.action_id !== actionId) continue;
      return {
        ...(typeof block.block_id === 'string' ? { blockId: block.block_id } : {}),
        ...(typeof element.value === 'string' ? { value: element.value } : {}),
        ...(typeof element.style === 'string' ? { style: element.style } : {}),
        ...(element.text !== undefined ? { text: element.text } : {}),
      };
    }
  }
  return {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
