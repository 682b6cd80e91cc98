import { webApi } from '@slack/bolt';

import { type FakeSlack } from '../../../sandbox/slack';

/** A logger that drops everything, so expected Slack errors do not clutter the test output. */
export const silentLogger: webApi.Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => webApi.LogLevel.ERROR,
  setName: () => undefined,
};

/** Creates a real WebClient pointed at the fake that fails fast on rate limits and network errors. */
export function clientFor(fake: FakeSlack, token = 'xoxb-test', options: webApi.WebClientOptions = {}): webApi.WebClient {
  return new webApi.WebClient(token, {
    slackApiUrl: fake.apiUrl,
    logger: silentLogger,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    ...options,
  });
}

/** Runs a Web API call that must fail and returns Slack's error code from the platform error. */
export async function platformError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === webApi.ErrorCode.PlatformError) {
      return (error as webApi.WebAPIPlatformError).data.error;
    }
    throw error;
  }
  throw new Error('expected the call to fail with a Slack platform error, but it succeeded');
}
