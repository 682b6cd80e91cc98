import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  LogLevel,
} from '@slack/web-api';

import { type Secret } from '../config/secret';
import { EspoSsoError } from '../errors';

/** Slack errors that mean the bot cannot post in a channel. */
const NOT_IN_CHANNEL = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

/** Error for a channel the bot cannot post in. Its message tells how to invite the bot. */
export class NotInChannelError extends EspoSsoError {
  constructor(readonly channelId: string) {
    super('forbidden', `I cannot post in <#${channelId}>: I am not a member of it.`, {
      system: 'slack',
      hint: 'Invite me with `/invite @espo-sso` in that channel, then run the command again.',
    });
    this.name = 'NotInChannelError';
  }
}

export interface SlackClientOptions {
  token: Secret;
  /** Web API base URL ending in `/`; undefined for Slack's own. */
  apiUrl: string | undefined;
  /** Time limit of one call, in milliseconds. */
  timeoutMs?: number;
}

/**
 * Creates the Web API client. Rate-limited calls are rejected instead of being retried by the
 * client (which by default keeps retrying for about 30 minutes and would stall a job);
 * `callSlack` waits for short Retry-After periods itself.
 */
export function createSlackClient(options: SlackClientOptions): WebClient {
  return new WebClient(options.token.reveal(), {
    slackApiUrl: options.apiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000, randomize: true },
    timeout: options.timeoutMs ?? 10_000,
    logLevel: LogLevel.ERROR,
    allowAbsoluteUrls: false,
  });
}

export interface CallSlackOptions {
  /** The channel, to turn `not_in_channel` into NotInChannelError. */
  channelId?: string;
  /** Longest Retry-After the call waits for, in seconds; a longer one fails as retryable. */
  maxWaitSeconds?: number;
  /** Attempts after rate limiting, in total. */
  attempts?: number;
}

/** Runs one Web API call with bounded waits on rate limits, turning Slack's errors into EspoSsoError. */
export async function callSlack<T>(call: () => Promise<T>, options: CallSlackOptions = {}): Promise<T> {
  const maxWait = options.maxWaitSeconds ?? 10;
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WebAPIRateLimitedError) {
        if (attempt < attempts && error.retryAfter <= maxWait) {
          await new Promise((resolve) => setTimeout(resolve, Math.max(error.retryAfter, 1) * 1000));
          continue;
        }
        throw new EspoSsoError('upstream_unavailable', `Slack rate-limited the bot (retry after ${error.retryAfter} s).`, {
          system: 'slack',
          status: 429,
          retryable: true,
          cause: error,
        });
      }
      throw toSlackError(error, options.channelId);
    }
  }
}

function toSlackError(error: unknown, channelId: string | undefined): EspoSsoError {
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    if (channelId !== undefined && NOT_IN_CHANNEL.has(code)) return new NotInChannelError(channelId);
    const retryable = code === 'internal_error' || code === 'fatal_error' || code === 'service_unavailable' || code === 'request_timeout';
    return new EspoSsoError(retryable ? 'upstream_unavailable' : 'upstream_rejected', `Slack returned the error ${code}.`, {
      system: 'slack',
      retryable,
    });
  }
  if (error instanceof WebAPIHTTPError) {
    return new EspoSsoError('upstream_unavailable', `Slack returned HTTP ${error.statusCode}.`, {
      system: 'slack',
      status: error.statusCode,
      retryable: error.statusCode >= 500,
    });
  }
  if (error instanceof WebAPIRequestError) {
    return new EspoSsoError('network', `Slack could not be reached: ${error.original.message}`, { system: 'slack', retryable: true });
  }
  if (error instanceof EspoSsoError) return error;
  return new EspoSsoError('internal', error instanceof Error ? error.message : String(error), { system: 'slack', cause: error });
}
