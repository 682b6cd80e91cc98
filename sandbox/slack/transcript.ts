import { type JsonObject, isJsonObject } from './block-kit';
import { type FakeEphemeral, type FakeMessage } from './conversations';
import { type FakeSlack } from './fake-slack';
import { type FakeView } from './views';

/**
 * Renders what a user would see in the fake Slack workspace as plain text: channel messages
 * with their blocks and thread replies, ephemeral messages and modals. The offline demo prints it.
 */

export interface TranscriptOptions {
  /** Only this channel ID; default every channel. */
  channel?: string;
  /** Default true. */
  includeEphemerals?: boolean;
  /** Default true. */
  includeViews?: boolean;
  /** Replace `<@U…>`, `<#C…>`, `<!subteam^S…>` and `<url|label>` with readable names. Default true. */
  resolveMentions?: boolean;
  /** Also print the earlier versions of edited messages. Default false. */
  includeHistory?: boolean;
}

const DIVIDER = '-'.repeat(40);

/** Renders the fake's messages, ephemerals and modals as readable plain text. */
export function renderTranscript(fake: FakeSlack, options: TranscriptOptions = {}): string {
  const renderer = new TranscriptRenderer(fake, options);
  return renderer.render();
}

class TranscriptRenderer {
  private readonly lines: string[] = [];
  private readonly userNames: Map<string, string>;
  private readonly groupHandles: Map<string, string>;

  constructor(
    private readonly fake: FakeSlack,
    private readonly options: TranscriptOptions,
  ) {
    this.userNames = new Map(fake.workspace.users().map((user) => [user.id, user.name]));
    this.userNames.set(fake.workspace.botUserId, fake.workspace.botName);
    this.groupHandles = new Map(fake.workspace.userGroups().map((group) => [group.id, group.handle]));
  }

  render(): string {
    const messages = this.fake.messages(this.options.channel);
    const channels = [...new Set(messages.map((message) => message.channel))];
    for (const channel of channels) {
      this.lines.push(this.channelLabel(channel));
      for (const message of messages.filter((candidate) => candidate.channel === channel)) {
        this.renderMessage(message, 1);
      }
      this.lines.push('');
    }
    if (channels.length === 0) this.lines.push('(no channel messages)', '');

    if (this.options.includeEphemerals ?? true) this.renderEphemerals();
    if (this.options.includeViews ?? true) this.renderViews();
    this.renderUnplacedResponses();
    return `${this.lines.join('\n').trimEnd()}\n`;
  }

  private renderMessage(message: FakeMessage, depth: number): void {
    const indent = '  '.repeat(depth);
    const notes: string[] = [];
    if (message.source === 'response_url') notes.push('via response_url');
    if (message.history.length > 0) notes.push(`edited ${message.history.length}x`);
    if (message.replyBroadcast) notes.push('also sent to the channel');
    const noteText = notes.length > 0 ? ` (${notes.join(', ')})` : '';
    this.lines.push(`${indent}- ${message.ts} ${this.userName(message.user)}${noteText}`);

    if (message.deleted) {
      this.lines.push(`${indent}  (message deleted)`);
    } else {
      this.renderContent(message, `${indent}  `);
    }
    if (this.options.includeHistory) {
      message.history.forEach((version, index) => {
        this.lines.push(`${indent}  version ${index + 1} (replaced):`);
        this.renderContent(version, `${indent}    `);
      });
    }
    if (message.replies.length > 0) {
      this.lines.push(`${indent}  thread (${message.replies.length} ${message.replies.length === 1 ? 'reply' : 'replies'}):`);
      for (const reply of message.replies) this.renderMessage(reply, depth + 2);
    }
  }

  /** Renders the text, then the blocks prefixed with `| `, as Slack shows blocks in place of the text. */
  private renderContent(content: { text: string; blocks?: JsonObject[]; attachments?: JsonObject[] }, indent: string): void {
    if (content.text !== '') {
      const label = content.blocks ? 'text: ' : '';
      this.pushMultiline(indent, `${label}${this.readable(content.text)}`);
    }
    for (const block of content.blocks ?? []) {
      for (const line of this.renderBlock(block)) this.lines.push(`${indent}| ${line}`.trimEnd());
    }
    for (const attachment of content.attachments ?? []) {
      const text = typeof attachment.text === 'string' ? attachment.text : String(attachment.fallback ?? '');
      this.pushMultiline(`${indent}  `, `(attachment) ${this.readable(text)}`);
    }
  }

  private renderBlock(block: JsonObject): string[] {
    switch (block.type) {
      case 'header':
        return [`# ${this.textOf(block.text)}`];
      case 'section':
        return this.renderSection(block);
      case 'context':
        return [this.elementsOf(block).map((element) => this.contextElement(element)).join('  ·  ')];
      case 'divider':
        return [DIVIDER];
      case 'actions':
        return [this.elementsOf(block).map((element) => this.renderElement(element)).join('  ')];
      case 'image':
        return [`[image: ${String(block.alt_text ?? '')}]`];
      case 'input':
        return [`${this.textOf(block.label)}: ${isJsonObject(block.element) ? this.renderElement(block.element) : '[ ]'}`];
      case 'markdown':
        return this.readable(String(block.text ?? '')).split('\n');
      case 'rich_text':
        return this.readable(richText(block)).split('\n');
      default:
        return [`[${String(block.type)} block]`];
    }
  }

  private renderSection(block: JsonObject): string[] {
    const lines: string[] = [];
    if (block.text !== undefined) lines.push(...this.textOf(block.text).split('\n'));
    if (Array.isArray(block.fields)) {
      for (const field of block.fields) lines.push(`  • ${this.textOf(field).replace(/\n/g, ' / ')}`);
    }
    if (isJsonObject(block.accessory)) lines.push(`  -> ${this.renderElement(block.accessory)}`);
    return lines;
  }

  private renderElement(element: JsonObject): string {
    const confirm = element.confirm !== undefined ? ' (asks to confirm)' : '';
    switch (element.type) {
      case 'button': {
        const style = typeof element.style === 'string' ? ` (${element.style})` : '';
        const link = typeof element.url === 'string' ? ` (opens ${element.url})` : '';
        return `[ ${this.textOf(element.text)} ]${style}${link}${confirm}`;
      }
      case 'image':
        return `[image: ${String(element.alt_text ?? '')}]`;
      case 'overflow':
        return `[ ... ]${confirm}`;
      default: {
        const placeholder = element.placeholder !== undefined ? this.textOf(element.placeholder) : String(element.type);
        return `[ ${placeholder} v ]${confirm}`;
      }
    }
  }

  private contextElement(element: JsonObject): string {
    if (element.type === 'image') return `[image: ${String(element.alt_text ?? '')}]`;
    return this.textOf(element);
  }

  private elementsOf(block: JsonObject): JsonObject[] {
    return Array.isArray(block.elements) ? block.elements.filter(isJsonObject) : [];
  }

  private textOf(value: unknown): string {
    if (!isJsonObject(value) || typeof value.text !== 'string') return '';
    return this.readable(value.text);
  }

  private renderEphemerals(): void {
    const ephemerals = this.fake.ephemerals(this.options.channel);
    if (ephemerals.length === 0) return;
    this.lines.push('Ephemeral messages (only the recipient sees them)');
    for (const ephemeral of ephemerals) this.renderEphemeral(ephemeral);
    this.lines.push('');
  }

  private renderEphemeral(ephemeral: FakeEphemeral): void {
    const via = ephemeral.source === 'response_url' ? ', via response_url' : '';
    const thread = ephemeral.threadTs ? `, in thread ${ephemeral.threadTs}` : '';
    this.lines.push(
      `  - ${ephemeral.ts} to ${this.userName(ephemeral.user)} in ${this.channelLabel(ephemeral.channel)}${thread}${via}`,
    );
    this.renderContent(ephemeral, '    ');
  }

  private renderViews(): void {
    const views = this.fake.views();
    if (views.length === 0) return;
    this.lines.push('Modals');
    for (const view of views) this.renderView(view);
    this.lines.push('');
  }

  private renderView(view: FakeView): void {
    const updated = view.updates > 0 ? `, updated ${view.updates}x` : '';
    const user = view.userId ? ` for ${this.userName(view.userId)}` : '';
    this.lines.push(`  - ${view.id} "${view.title}" (callback_id ${view.callbackId || '-'}, ${view.openedBy}${user}${updated})`);
    const blocks = Array.isArray(view.view.blocks) ? view.view.blocks.filter(isJsonObject) : [];
    for (const block of blocks) {
      for (const line of this.renderBlock(block)) this.lines.push(`    | ${line}`.trimEnd());
    }
    const buttons = [view.view.close, view.view.submit].filter(isJsonObject).map((text) => `[ ${this.textOf(text)} ]`);
    if (buttons.length > 0) this.lines.push(`    | ${buttons.join('  ')}`);
  }

  /** Response URL posts that had no channel or user to land in, so nothing above shows them. */
  private renderUnplacedResponses(): void {
    const posts = this.fake.allResponses().filter((post) => post.status === 200 && post.effect === 'none' && post.body);
    if (posts.length === 0) return;
    this.lines.push('Response URL posts without a known channel or user');
    for (const post of posts) {
      const body = post.body as JsonObject;
      const type = typeof body.response_type === 'string' ? body.response_type : 'ephemeral';
      this.lines.push(`  - ${post.id} (${type})`);
      const blocks = Array.isArray(body.blocks) ? body.blocks.filter(isJsonObject) : undefined;
      this.renderContent({ text: typeof body.text === 'string' ? body.text : '', ...(blocks ? { blocks } : {}) }, '    ');
    }
    this.lines.push('');
  }

  private channelLabel(channelId: string): string {
    const name = this.fake.workspace.channelName(channelId);
    if (channelId.startsWith('D')) return `direct message ${channelId}`;
    return name === channelId ? `#${channelId}` : `#${name} (${channelId})`;
  }

  private userName(userId: string): string {
    const name = this.userNames.get(userId);
    return name ? `@${name}` : userId;
  }

  /** Replaces Slack's mention and link syntax with what the Slack client displays. */
  private readable(text: string): string {
    if (this.options.resolveMentions === false) return text;
    return text.replace(/<([^<>]+)>/g, (whole, inner: string) => {
      const [target = '', label] = inner.split('|', 2);
      if (target.startsWith('@')) return this.userName(target.slice(1)).replace(/^(?!@)/, '@');
      if (target.startsWith('#')) return `#${label ?? this.fake.workspace.channelName(target.slice(1))}`;
      if (target.startsWith('!subteam^')) {
        const handle = this.groupHandles.get(target.slice('!subteam^'.length));
        return `@${label?.replace(/^@/, '') ?? handle ?? target.slice('!subteam^'.length)}`;
      }
      if (target.startsWith('!')) return `@${label ?? target.slice(1)}`;
      if (/^(https?|mailto):/.test(target)) return label ? `${label} (${target})` : target;
      return whole;
    });
  }

  private pushMultiline(indent: string, text: string): void {
    for (const line of text.split('\n')) this.lines.push(`${indent}${line}`.trimEnd());
  }
}

/** Joins the text of a rich_text block's nested elements. */
function richText(value: unknown): string {
  if (!isJsonObject(value)) return '';
  if (typeof value.text === 'string') return value.text;
  if (value.type === 'user' && typeof value.user_id === 'string') return `<@${value.user_id}>`;
  if (value.type === 'link' && typeof value.url === 'string') return `<${value.url}>`;
  if (!Array.isArray(value.elements)) return '';
  const separator = value.type === 'rich_text_list' ? '\n' : '';
  return value.elements.map((element: unknown) => richText(element)).join(separator);
}
