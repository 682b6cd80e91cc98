import { type WebClient } from '@slack/web-api';

import { type AccessConfig } from '../config/schema';
import { callSlack } from './web-client';

/**
 * Who may request and who may approve, from `access.requesters` and `access.approvers`.
 * User group ids (S…) are resolved with `usergroups.users.list` and reused for
 * `groupCacheSeconds`, so a removed member loses access within that time.
 */
export class AccessControl {
  private readonly groupCache = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly access: AccessConfig,
    private readonly client: WebClient,
    private readonly now: () => number = Date.now,
  ) {}

  get allowSelfApproval(): boolean {
    return this.access.allowSelfApproval;
  }

  isRequester(userId: string): Promise<boolean> {
    return this.matches(userId, this.access.requesters);
  }

  isApprover(userId: string): Promise<boolean> {
    return this.matches(userId, this.access.approvers);
  }

  private async matches(userId: string, principals: readonly string[]): Promise<boolean> {
    if (principals.includes(userId)) return true;
    for (const principal of principals) {
      if (!principal.startsWith('S')) continue;
      const members = await this.groupMembers(principal);
      if (members.has(userId)) return true;
    }
    return false;
  }

  private async groupMembers(groupId: string): Promise<Set<string>> {
    const cached = this.groupCache.get(groupId);
    if (cached && cached.until > this.now()) return cached.members;
    const result = await callSlack(() => this.client.usergroups.users.list({ usergroup: groupId }), { attempts: 1 });
    const members = new Set(result.users ?? []);
    this.groupCache.set(groupId, { members, until: this.now() + this.access.groupCacheSeconds * 1000 });
    return members;
  }
}
