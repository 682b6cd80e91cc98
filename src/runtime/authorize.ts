import { type Authorize } from '@slack/bolt';
import { type WebClient } from '@slack/web-api';

import { type Secret } from '../config/secret';
import { callSlack } from '../slack/web-client';

/**
 * Bolt's authorization for a single-workspace bot: the bot token with the bot's ids from one
 * `auth.test`. With `tokenVerificationEnabled: false` Bolt 5.1 would call `auth.test` before
 * every event, which puts a Slack round trip inside every acknowledgement; with it on, Bolt calls
 * it once at construction and keeps a failure forever. This calls it on first use, keeps the
 * answer, and tries again after a failure.
 */
export function botAuthorization(client: WebClient, botToken: Secret): Authorize<boolean> {
  let identity: Promise<{ botId: string; botUserId: string }> | undefined;
  const lookUp = (): Promise<{ botId: string; botUserId: string }> => {
    identity ??= callSlack(() => client.auth.test()).then(
      (result) => ({ botId: result.bot_id ?? '', botUserId: result.user_id ?? '' }),
      (error: unknown) => {
        identity = undefined;
        throw error;
      },
    );
    return identity;
  };
  // Look the ids up at start so the first request does not wait for them; a failure here is retried on use.
  lookUp().catch(() => undefined);
  return async () => ({ botToken: botToken.reveal(), ...(await lookUp()) });
}
