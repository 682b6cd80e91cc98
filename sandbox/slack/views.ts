import { type JsonObject, isJsonObject } from './block-kit';

/** Slack lets a trigger_id open a view for 3 seconds after the interaction. */
export const TRIGGER_TTL_MS = 3000;

/** Slack keeps at most 3 views in one modal stack (the root plus two pushed views). */
export const MAX_VIEW_STACK = 3;

/** A modal view the bot opened or pushed, in its current state. */
export interface FakeView {
  id: string;
  /** The view object as last sent by `views.open`, `views.push` or `views.update`. */
  view: JsonObject;
  callbackId: string;
  /** Plain text of the title. */
  title: string;
  privateMetadata: string;
  externalId: string;
  hash: string;
  rootViewId: string;
  previousViewId: string | null;
  openedBy: 'views.open' | 'views.push';
  triggerId: string;
  /** User the trigger belonged to, when the trigger was registered with one. */
  userId?: string;
  /** Number of `views.update` calls applied. */
  updates: number;
  /** Epoch milliseconds. */
  openedAt: number;
}

/** A trigger_id the fake accepts. */
export interface TriggerOptions {
  /** How long the trigger stays valid, in milliseconds. Default 3000, as in Slack. */
  ttlMs?: number;
  /** User who clicked or ran the command. */
  userId?: string;
  /** The modal the interaction came from; `views.push` stacks onto its root. */
  viewId?: string;
}

interface Trigger {
  expiresAt: number;
  userId?: string;
  viewId?: string;
}

export type ViewResult = { ok: true; view: FakeView } | { ok: false; error: string };

/** Triggers and modal stacks. */
export class ViewStore {
  private readonly triggers = new Map<string, Trigger>();
  private readonly byId = new Map<string, FakeView>();
  /** View IDs per root view ID, root first. */
  private readonly stacks = new Map<string, string[]>();
  private createdViews = 0;
  private issuedHashes = 0;
  private lastRootId: string | undefined;

  registerTrigger(triggerId: string, options: TriggerOptions, now: number): void {
    this.triggers.set(triggerId, {
      expiresAt: now + (options.ttlMs ?? TRIGGER_TTL_MS),
      userId: options.userId,
      viewId: options.viewId,
    });
  }

  expireTrigger(triggerId: string): void {
    const trigger = this.triggers.get(triggerId);
    if (trigger) trigger.expiresAt = Number.NEGATIVE_INFINITY;
  }

  private checkTrigger(triggerId: unknown, now: number): { ok: true; trigger: Trigger } | { ok: false; error: string } {
    if (typeof triggerId !== 'string' || triggerId === '') return { ok: false, error: 'invalid_trigger_id' };
    const trigger = this.triggers.get(triggerId);
    if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
    if (now > trigger.expiresAt) return { ok: false, error: 'expired_trigger_id' };
    return { ok: true, trigger };
  }

  open(triggerId: unknown, view: JsonObject, now: number): ViewResult {
    const checked = this.checkTrigger(triggerId, now);
    if (!checked.ok) return checked;
    const id = this.nextViewId();
    const created = this.create(id, view, {
      rootViewId: id,
      previousViewId: null,
      openedBy: 'views.open',
      triggerId: triggerId as string,
      userId: checked.trigger.userId,
      now,
    });
    this.stacks.set(id, [id]);
    this.lastRootId = id;
    return { ok: true, view: created };
  }

  /** Pushes onto the modal the trigger came from, or else onto the most recently opened one. */
  push(triggerId: unknown, view: JsonObject, now: number): ViewResult {
    const checked = this.checkTrigger(triggerId, now);
    if (!checked.ok) return checked;
    const source = checked.trigger.viewId ? this.byId.get(checked.trigger.viewId) : undefined;
    const rootId = source?.rootViewId ?? this.lastRootId;
    const stack = rootId ? this.stacks.get(rootId) : undefined;
    if (!rootId || !stack) return { ok: false, error: 'not_found' };
    if (stack.length >= MAX_VIEW_STACK) return { ok: false, error: 'push_limit_reached' };

    const id = this.nextViewId();
    const created = this.create(id, view, {
      rootViewId: rootId,
      previousViewId: stack[stack.length - 1] ?? null,
      openedBy: 'views.push',
      triggerId: triggerId as string,
      userId: checked.trigger.userId,
      now,
    });
    stack.push(id);
    return { ok: true, view: created };
  }

  /** Replaces a view found by `view_id` or `external_id`; a stale `hash` is `hash_conflict`. */
  update(viewId: unknown, externalId: unknown, hash: unknown, view: JsonObject, now: number): ViewResult {
    let target: FakeView | undefined;
    if (typeof viewId === 'string' && viewId !== '') {
      target = this.byId.get(viewId);
    } else if (typeof externalId === 'string' && externalId !== '') {
      target = [...this.byId.values()].find((candidate) => candidate.externalId === externalId);
    } else {
      return { ok: false, error: 'invalid_arguments' };
    }
    if (!target) return { ok: false, error: 'not_found' };
    if (typeof hash === 'string' && hash !== '' && hash !== target.hash) return { ok: false, error: 'hash_conflict' };

    target.view = view;
    target.callbackId = stringField(view, 'callback_id');
    target.title = titleText(view);
    target.privateMetadata = stringField(view, 'private_metadata');
    target.externalId = stringField(view, 'external_id') || target.externalId;
    target.hash = this.nextHash(now);
    target.updates += 1;
    return { ok: true, view: target };
  }

  /** Deep copies of every view, in opening order. */
  views(): FakeView[] {
    return [...this.byId.values()].map((view) => structuredClone(view));
  }

  clear(): void {
    this.triggers.clear();
    this.byId.clear();
    this.stacks.clear();
    this.lastRootId = undefined;
  }

  private create(
    id: string,
    view: JsonObject,
    placement: {
      rootViewId: string;
      previousViewId: string | null;
      openedBy: FakeView['openedBy'];
      triggerId: string;
      userId: string | undefined;
      now: number;
    },
  ): FakeView {
    const created: FakeView = {
      id,
      view,
      callbackId: stringField(view, 'callback_id'),
      title: titleText(view),
      privateMetadata: stringField(view, 'private_metadata'),
      externalId: stringField(view, 'external_id'),
      hash: this.nextHash(placement.now),
      rootViewId: placement.rootViewId,
      previousViewId: placement.previousViewId,
      openedBy: placement.openedBy,
      triggerId: placement.triggerId,
      ...(placement.userId !== undefined ? { userId: placement.userId } : {}),
      updates: 0,
      openedAt: placement.now,
    };
    this.byId.set(id, created);
    return created;
  }

  private nextViewId(): string {
    this.createdViews += 1;
    return `V${String(this.createdViews).padStart(10, '0')}`;
  }

  private nextHash(now: number): string {
    this.issuedHashes += 1;
    return `${Math.floor(now / 1000)}.${this.issuedHashes.toString(36).padStart(8, '0')}`;
  }
}

function stringField(view: JsonObject, key: string): string {
  const value = view[key];
  return typeof value === 'string' ? value : '';
}

function titleText(view: JsonObject): string {
  return isJsonObject(view.title) && typeof view.title.text === 'string' ? view.title.text : '';
}
