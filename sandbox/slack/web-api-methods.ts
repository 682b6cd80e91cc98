import {
  type JsonObject,
  formatProblems,
  isJsonObject,
  validateBlocks,
  validateModalView,
} from './block-kit';
import { type ConversationStore, type FakeMessage, type MessageContent } from './conversations';
import { type FakeView, type ViewStore } from './views';
import { type Workspace } from './workspace';

/**
 * Handlers of the Web API methods the fake implements. Each takes the parsed arguments and
 * returns the JSON body Slack would send with HTTP 200: `{ ok: true, ... }` or
 * `{ ok: false, error: '<code>' }`.
 */

/**
 * JSON length of a message's `blocks` above which `chat.postMessage` and `chat.update` return
 * `msg_blocks_too_long`.
 * NOTE: Slack does not publish this limit. 13,000 characters is where such failures have been
 * reported, so a payload just below it may still fail on real Slack.
 */
export const MAX_BLOCKS_JSON_LENGTH = 13_000;

/** Slack truncates or rejects (`msg_too_long`) message text longer than 40,000 characters. */
export const MAX_MESSAGE_TEXT_LENGTH = 40_000;

export interface MethodContext {
  workspace: Workspace;
  conversations: ConversationStore;
  views: ViewStore;
  /** Epoch milliseconds. */
  now: () => number;
}

export type MethodHandler = (args: JsonObject, context: MethodContext) => JsonObject;

export function failure(error: string, extra: JsonObject = {}): JsonObject {
  return { ok: false, error, ...extra };
}

/** Reads a boolean argument that arrives as `true` in JSON or as `"true"`/`"1"` in a form. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === 'true' || value === '1';
}

function stringArgument(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export type ContentResult = { ok: true; content: MessageContent } | { ok: false; response: JsonObject };

/**
 * Reads and checks `text`, `blocks` and `attachments` of a message. At least one of them must be
 * non-empty (`no_text`), blocks must be valid Block Kit (`invalid_blocks`) and fit
 * MAX_BLOCKS_JSON_LENGTH (`msg_blocks_too_long`).
 */
export function readMessageContent(args: JsonObject): ContentResult {
  const text = stringArgument(args.text);
  const blocks = args.blocks;
  const attachments = args.attachments;

  if (blocks !== undefined && !Array.isArray(blocks)) {
    return { ok: false, response: failure('invalid_blocks_format') };
  }
  if (attachments !== undefined && !Array.isArray(attachments)) {
    return { ok: false, response: failure('invalid_attachments') };
  }
  const hasText = text !== undefined && text !== '';
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) return { ok: false, response: failure('no_text') };

  if (hasBlocks) {
    const problems = validateBlocks(blocks, 'message');
    if (problems.length > 0) {
      return {
        ok: false,
        response: failure('invalid_blocks', {
          errors: problems.map((problem) => `${problem.message} [json-pointer:${problem.pointer}]`),
          response_metadata: { messages: formatProblems(problems) },
        }),
      };
    }
    if (JSON.stringify(blocks).length > MAX_BLOCKS_JSON_LENGTH) {
      return { ok: false, response: failure('msg_blocks_too_long') };
    }
  }
  if (text !== undefined && text.length > MAX_MESSAGE_TEXT_LENGTH) {
    return { ok: false, response: failure('msg_too_long') };
  }

  const content: MessageContent = {};
  if (text !== undefined) content.text = text;
  if (Array.isArray(blocks)) content.blocks = blocks.filter(isJsonObject);
  if (Array.isArray(attachments)) content.attachments = attachments.filter(isJsonObject);
  return { ok: true, content };
}

/** The `message` object Slack returns from chat.postMessage and puts into interaction payloads. */
export function messageJson(message: FakeMessage, workspace: Workspace): JsonObject {
  const json: JsonObject = {
    type: 'message',
    user: message.user,
    bot_id: message.botId,
    app_id: workspace.appId,
    text: message.text,
    ts: message.ts,
    team: workspace.teamId,
    bot_profile: { id: message.botId, app_id: workspace.appId, name: workspace.botName, team_id: workspace.teamId },
  };
  if (message.blocks) json.blocks = message.blocks;
  if (message.attachments) json.attachments = message.attachments;
  if (message.metadata) json.metadata = message.metadata;
  if (message.threadTs !== undefined) {
    json.thread_ts = message.threadTs;
    json.parent_user_id = message.user;
  }
  if (message.editedAt !== undefined) {
    json.edited = { user: message.user, ts: `${Math.floor(message.editedAt / 1000)}.000000` };
  }
  return json;
}

function postMessage(args: JsonObject, context: MethodContext): JsonObject {
  const { workspace, conversations } = context;
  const channel = workspace.resolveChannelForPosting(args.channel);
  if (!channel.ok) return failure(channel.error);

  const read = readMessageContent(args);
  if (!read.ok) return read.response;

  const threadTs = stringArgument(args.thread_ts);
  if (threadTs !== undefined && threadTs !== '') {
    const thread = conversations.checkThreadParent(channel.id, threadTs);
    if (!thread.ok) return failure(thread.error);
  }

  const message: FakeMessage = {
    channel: channel.id,
    ts: workspace.nextTs(),
    ...(threadTs ? { threadTs } : {}),
    text: read.content.text ?? '',
    ...(read.content.blocks && read.content.blocks.length > 0 ? { blocks: read.content.blocks } : {}),
    ...(read.content.attachments && read.content.attachments.length > 0 ? { attachments: read.content.attachments } : {}),
    ...(isJsonObject(args.metadata) ? { metadata: args.metadata } : {}),
    user: workspace.botUserId,
    botId: workspace.botId,
    replyBroadcast: threadTs !== undefined && threadTs !== '' && isTrue(args.reply_broadcast),
    source: 'chat.postMessage',
    postedAt: context.now(),
    history: [],
    deleted: false,
    replies: [],
  };
  conversations.add(message);
  return { ok: true, channel: channel.id, ts: message.ts, message: messageJson(message, workspace) };
}

function update(args: JsonObject, context: MethodContext): JsonObject {
  const { workspace, conversations } = context;
  const channel = workspace.resolveChannelForPosting(args.channel);
  if (!channel.ok) return failure(channel.error);
  const ts = stringArgument(args.ts);
  const message = ts ? conversations.find(channel.id, ts) : undefined;
  if (!message || message.deleted) return failure('message_not_found');

  const read = readMessageContent(args);
  if (!read.ok) return read.response;
  conversations.update(message, read.content, context.now());
  return {
    ok: true,
    channel: channel.id,
    ts: message.ts,
    text: message.text,
    message: messageJson(message, workspace),
  };
}

function deleteMessage(args: JsonObject, context: MethodContext): JsonObject {
  const channel = context.workspace.resolveChannelForPosting(args.channel);
  if (!channel.ok) return failure(channel.error);
  const ts = stringArgument(args.ts);
  const message = ts ? context.conversations.find(channel.id, ts) : undefined;
  if (!message || message.deleted) return failure('message_not_found');
  message.deleted = true;
  return { ok: true, channel: channel.id, ts: message.ts };
}

function postEphemeral(args: JsonObject, context: MethodContext): JsonObject {
  const { workspace, conversations } = context;
  const channel = workspace.resolveChannelForPosting(args.channel);
  if (!channel.ok) return failure(channel.error);
  const user = stringArgument(args.user);
  if (!user) return failure('user_not_found');

  const read = readMessageContent(args);
  if (!read.ok) return read.response;
  const threadTs = stringArgument(args.thread_ts);
  if (threadTs !== undefined && threadTs !== '') {
    const thread = conversations.checkThreadParent(channel.id, threadTs);
    if (!thread.ok) return failure(thread.error);
  }

  const ts = workspace.nextTs();
  conversations.addEphemeral({
    channel: channel.id,
    user,
    ts,
    ...(threadTs ? { threadTs } : {}),
    text: read.content.text ?? '',
    ...(read.content.blocks && read.content.blocks.length > 0 ? { blocks: read.content.blocks } : {}),
    ...(read.content.attachments && read.content.attachments.length > 0 ? { attachments: read.content.attachments } : {}),
    source: 'chat.postEphemeral',
    postedAt: context.now(),
  });
  return { ok: true, message_ts: ts };
}

function getPermalink(args: JsonObject, context: MethodContext): JsonObject {
  const { workspace, conversations } = context;
  const channel = workspace.findChannel(args.channel);
  if (!channel.ok) return failure(channel.error);
  const ts = stringArgument(args.message_ts);
  const message = ts ? conversations.find(channel.id, ts) : undefined;
  if (!message || message.deleted) return failure('message_not_found');
  return { ok: true, channel: channel.id, permalink: permalinkFor(workspace, message) };
}

/**
 * Builds a permalink in Slack's format. The fake never serves it, so nothing fetches
 * the slack.com host.
 */
export function permalinkFor(workspace: Workspace, message: FakeMessage): string {
  const base = `https://${workspace.teamDomain}.slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}`;
  if (message.threadTs === undefined) return base;
  return `${base}?thread_ts=${message.threadTs}&cid=${message.channel}`;
}

function authTest(_args: JsonObject, context: MethodContext): JsonObject {
  const { workspace } = context;
  return {
    ok: true,
    url: `https://${workspace.teamDomain}.slack.com/`,
    team: workspace.teamName,
    user: workspace.botName,
    team_id: workspace.teamId,
    user_id: workspace.botUserId,
    bot_id: workspace.botId,
    is_enterprise_install: false,
  };
}

function conversationsInfo(args: JsonObject, context: MethodContext): JsonObject {
  const channel = context.workspace.findChannel(args.channel);
  if (!channel.ok) return failure(channel.error);
  return { ok: true, channel: context.workspace.channelInfo(channel.id) };
}

function usersInfo(args: JsonObject, context: MethodContext): JsonObject {
  const userId = stringArgument(args.user);
  const user = userId ? context.workspace.user(userId) : undefined;
  if (!user) return failure('user_not_found');
  return { ok: true, user: context.workspace.userInfo(user) };
}

function userGroupsUsersList(args: JsonObject, context: MethodContext): JsonObject {
  const groupId = stringArgument(args.usergroup);
  const group = groupId ? context.workspace.userGroup(groupId) : undefined;
  if (!group) return failure('no_such_subteam');
  return { ok: true, users: [...group.users] };
}

function userGroupsList(args: JsonObject, context: MethodContext): JsonObject {
  const { workspace } = context;
  const includeUsers = isTrue(args.include_users);
  const usergroups = workspace.userGroups().map((group) => ({
    id: group.id,
    team_id: workspace.teamId,
    is_usergroup: true,
    handle: group.handle,
    name: group.name ?? group.handle,
    user_count: group.users.length,
    ...(includeUsers ? { users: group.users } : {}),
  }));
  return { ok: true, usergroups };
}

/** The `view` object Slack returns from the views.* methods. */
export function viewJson(view: FakeView, workspace: Workspace): JsonObject {
  return {
    id: view.id,
    team_id: workspace.teamId,
    type: 'modal',
    blocks: view.view.blocks ?? [],
    private_metadata: view.privateMetadata,
    callback_id: view.callbackId,
    state: { values: {} },
    hash: view.hash,
    title: view.view.title,
    clear_on_close: isTrue(view.view.clear_on_close),
    notify_on_close: isTrue(view.view.notify_on_close),
    close: view.view.close ?? null,
    submit: view.view.submit ?? null,
    previous_view_id: view.previousViewId,
    root_view_id: view.rootViewId,
    app_id: workspace.appId,
    external_id: view.externalId,
    app_installed_team_id: workspace.teamId,
    bot_id: workspace.botId,
  };
}

/** Checks the `view` argument; `invalid_arguments` carries the problems as Slack does. */
function readView(args: JsonObject): { ok: true; view: JsonObject } | { ok: false; response: JsonObject } {
  const problems = validateModalView(args.view);
  if (problems.length > 0) {
    return { ok: false, response: failure('invalid_arguments', { response_metadata: { messages: formatProblems(problems) } }) };
  }
  return { ok: true, view: args.view as JsonObject };
}

function viewsOpen(args: JsonObject, context: MethodContext): JsonObject {
  const read = readView(args);
  if (!read.ok) return read.response;
  const opened = context.views.open(args.trigger_id, read.view, context.now());
  if (!opened.ok) return failure(opened.error);
  return { ok: true, view: viewJson(opened.view, context.workspace) };
}

function viewsPush(args: JsonObject, context: MethodContext): JsonObject {
  const read = readView(args);
  if (!read.ok) return read.response;
  const pushed = context.views.push(args.trigger_id, read.view, context.now());
  if (!pushed.ok) return failure(pushed.error);
  return { ok: true, view: viewJson(pushed.view, context.workspace) };
}

function viewsUpdate(args: JsonObject, context: MethodContext): JsonObject {
  const read = readView(args);
  if (!read.ok) return read.response;
  const updated = context.views.update(args.view_id, args.external_id, args.hash, read.view, context.now());
  if (!updated.ok) return failure(updated.error);
  return { ok: true, view: viewJson(updated.view, context.workspace) };
}

function apiTest(args: JsonObject): JsonObject {
  if (typeof args.error === 'string' && args.error !== '') return failure(args.error, { args });
  return { ok: true, args };
}

/** Every method the fake implements; any other name is `unknown_method`. */
export const WEB_API_METHODS: Readonly<Record<string, MethodHandler>> = {
  'api.test': apiTest,
  'auth.test': authTest,
  'chat.delete': deleteMessage,
  'chat.getPermalink': getPermalink,
  'chat.postEphemeral': postEphemeral,
  'chat.postMessage': postMessage,
  'chat.update': update,
  'conversations.info': conversationsInfo,
  'usergroups.list': userGroupsList,
  'usergroups.users.list': userGroupsUsersList,
  'users.info': usersInfo,
  'views.open': viewsOpen,
  'views.push': viewsPush,
  'views.update': viewsUpdate,
};

/** Methods that need no token, as on Slack. */
export const METHODS_WITHOUT_AUTH: ReadonlySet<string> = new Set(['api.test']);
