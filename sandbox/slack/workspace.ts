/**
 * The workspace that the fake Slack Web API serves: team, bot identity, channels, users,
 * user groups and the clock that issues message timestamps (`ts`).
 */

/** A channel seeded into the fake, for `conversations.info`, name lookups and membership errors. */
export interface FakeChannelSeed {
  /** Channel ID, e.g. `C0APPROVALS`; IDs starting with `G` count as private. */
  id: string;
  /** Name without `#`, e.g. `sso-approvals`. */
  name: string;
  isPrivate?: boolean;
  isArchived?: boolean;
}

/** A user seeded into the fake, for `users.info` and for readable transcripts. */
export interface FakeUserSeed {
  id: string;
  /** Handle without `@`, e.g. `alice`. */
  name: string;
  realName?: string;
  email?: string;
  isBot?: boolean;
  deleted?: boolean;
  tz?: string;
}

/** A user group (Slack calls it a subteam), for `usergroups.users.list`. */
export interface FakeUserGroupSeed {
  /** Group ID, e.g. `S0SSOADMINS`. */
  id: string;
  /** Handle without `@`, e.g. `sso-admins`. */
  handle: string;
  name?: string;
  /** Member user IDs. */
  users: string[];
}

export interface WorkspaceOptions {
  teamId?: string;
  teamDomain?: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  /** The bot's display name. Default `espo-sso`. */
  botName?: string;
  appId?: string;
  /**
   * Known channels. When set, any other channel ID is `channel_not_found`; when unset, every
   * channel ID exists and is public.
   */
  channels?: FakeChannelSeed[];
  /**
   * IDs of the channels the bot is a member of. Unset means every channel. Posting to another
   * public channel fails with `not_in_channel`, and a private one fails with `channel_not_found`.
   */
  botChannels?: Iterable<string>;
  users?: FakeUserSeed[];
  userGroups?: FakeUserGroupSeed[];
  /** Unix seconds of the first issued `ts`. Default 1733000000. */
  firstTs?: number;
}

/** The result of resolving a `channel` argument. */
export type ChannelResolution = { ok: true; id: string; isDirectMessage: boolean } | { ok: false; error: string };

/** Microseconds added per issued timestamp, so the first one reads `<firstTs>.000100`. */
const TS_STEP_MICROSECONDS = 100;

export class Workspace {
  readonly teamId: string;
  readonly teamDomain: string;
  readonly teamName: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly botName: string;
  readonly appId: string;
  private readonly channelSeeds: Map<string, FakeChannelSeed> | undefined;
  /** Channels the bot is in, or undefined for "every channel except `leftChannels`". */
  private readonly botChannels: Set<string> | undefined;
  private readonly leftChannels = new Set<string>();
  private readonly userSeeds = new Map<string, FakeUserSeed>();
  private readonly groupSeeds = new Map<string, FakeUserGroupSeed>();
  private readonly firstTsMicroseconds: number;
  private issuedTimestamps = 0;

  constructor(options: WorkspaceOptions = {}) {
    this.teamId = options.teamId ?? 'T0FAKETEAM';
    this.teamDomain = options.teamDomain ?? 'espo-sso-test';
    this.teamName = options.teamName ?? 'espo-sso test workspace';
    this.botUserId = options.botUserId ?? 'U0FAKEBOT';
    this.botId = options.botId ?? 'B0FAKEBOT';
    this.botName = options.botName ?? 'espo-sso';
    this.appId = options.appId ?? 'A0FAKEAPP';
    this.channelSeeds = options.channels ? new Map(options.channels.map((seed) => [seed.id, { ...seed }])) : undefined;
    this.botChannels = options.botChannels ? new Set(options.botChannels) : undefined;
    for (const user of options.users ?? []) this.userSeeds.set(user.id, { ...user });
    for (const group of options.userGroups ?? []) this.groupSeeds.set(group.id, { ...group, users: [...group.users] });
    this.firstTsMicroseconds = (options.firstTs ?? 1733000000) * 1_000_000;
  }

  /** Issues the next message timestamp: unique, increasing, six decimals like Slack's. */
  nextTs(): string {
    this.issuedTimestamps += 1;
    const total = this.firstTsMicroseconds + this.issuedTimestamps * TS_STEP_MICROSECONDS;
    const seconds = Math.floor(total / 1_000_000);
    const microseconds = total % 1_000_000;
    return `${seconds}.${String(microseconds).padStart(6, '0')}`;
  }

  /**
   * Resolves a `channel` argument (an ID, a name with or without `#`, or a user ID for a direct
   * message) to a channel ID the bot may post to, or to Slack's error code.
   */
  resolveChannelForPosting(raw: unknown): ChannelResolution {
    const found = this.findChannel(raw);
    if (!found.ok) return found;
    if (found.isDirectMessage) return found;
    const seed = this.channelSeeds?.get(found.id);
    if (!this.isBotMember(found.id)) {
      return { ok: false, error: this.isPrivate(found.id) ? 'channel_not_found' : 'not_in_channel' };
    }
    if (seed?.isArchived) return { ok: false, error: 'is_archived' };
    return found;
  }

  /** Resolves a `channel` argument without checking membership; a private channel the bot is not in stays hidden. */
  findChannel(raw: unknown): ChannelResolution {
    if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, error: 'channel_not_found' };
    const value = raw.trim();
    // Posting to a user ID opens the bot's direct message with that user.
    if (/^[UW][A-Z0-9]+$/.test(value)) return { ok: true, id: `D${value.slice(1)}`, isDirectMessage: true };
    if (value.startsWith('D')) return { ok: true, id: value, isDirectMessage: true };

    const name = value.replace(/^#/, '');
    let id = value;
    if (this.channelSeeds) {
      const byName = [...this.channelSeeds.values()].find((seed) => seed.name === name);
      if (!this.channelSeeds.has(value) && !byName) return { ok: false, error: 'channel_not_found' };
      if (!this.channelSeeds.has(value) && byName) id = byName.id;
    } else if (value.startsWith('#')) {
      return { ok: false, error: 'channel_not_found' };
    }
    if (this.isPrivate(id) && !this.isBotMember(id)) return { ok: false, error: 'channel_not_found' };
    return { ok: true, id, isDirectMessage: false };
  }

  isBotMember(channelId: string): boolean {
    if (this.botChannels) return this.botChannels.has(channelId);
    return !this.leftChannels.has(channelId);
  }

  isPrivate(channelId: string): boolean {
    return this.channelSeeds?.get(channelId)?.isPrivate ?? channelId.startsWith('G');
  }

  /** Adds the bot to a channel, as `/invite @bot` does. */
  joinChannel(channelId: string): void {
    this.botChannels?.add(channelId);
    this.leftChannels.delete(channelId);
  }

  /** Removes the bot from a channel. */
  leaveChannel(channelId: string): void {
    if (this.botChannels) {
      this.botChannels.delete(channelId);
    } else {
      this.leftChannels.add(channelId);
    }
  }

  /** Channel name for display: the seeded name, or the ID when none is known. */
  channelName(channelId: string): string {
    return this.channelSeeds?.get(channelId)?.name ?? channelId;
  }

  /** Builds the channel object of `conversations.info`. */
  channelInfo(channelId: string): Record<string, unknown> {
    const seed = this.channelSeeds?.get(channelId);
    const isDirectMessage = channelId.startsWith('D');
    return {
      id: channelId,
      name: seed?.name ?? channelId.toLowerCase(),
      is_channel: !isDirectMessage && !this.isPrivate(channelId),
      is_group: false,
      is_im: isDirectMessage,
      is_private: this.isPrivate(channelId),
      is_archived: seed?.isArchived ?? false,
      is_member: isDirectMessage || this.isBotMember(channelId),
      created: Math.floor(this.firstTsMicroseconds / 1_000_000) - 86_400,
      context_team_id: this.teamId,
    };
  }

  user(userId: string): FakeUserSeed | undefined {
    return this.userSeeds.get(userId);
  }

  users(): FakeUserSeed[] {
    return [...this.userSeeds.values()].map((user) => ({ ...user }));
  }

  addUser(user: FakeUserSeed): void {
    this.userSeeds.set(user.id, { ...user });
  }

  userGroup(groupId: string): FakeUserGroupSeed | undefined {
    return this.groupSeeds.get(groupId);
  }

  userGroups(): FakeUserGroupSeed[] {
    return [...this.groupSeeds.values()].map((group) => ({ ...group, users: [...group.users] }));
  }

  /** Creates or replaces a user group, e.g. to change its members during a test. */
  setUserGroup(group: FakeUserGroupSeed): void {
    this.groupSeeds.set(group.id, { ...group, users: [...group.users] });
  }

  /** Builds the user object of `users.info`. */
  userInfo(user: FakeUserSeed): Record<string, unknown> {
    const realName = user.realName ?? user.name;
    return {
      id: user.id,
      team_id: this.teamId,
      name: user.name,
      deleted: user.deleted ?? false,
      real_name: realName,
      tz: user.tz ?? 'Europe/Berlin',
      is_bot: user.isBot ?? false,
      is_app_user: false,
      profile: {
        real_name: realName,
        display_name: user.name,
        email: user.email,
        team: this.teamId,
      },
    };
  }
}
