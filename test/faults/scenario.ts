import { parseJson, type RecordedRequest } from '../../sandbox/common/fake-server';
import { type RequestRecord } from '../../src/jobs/request-store';
import { type BotHandle } from '../../src/runtime/bot';
import { ACTION } from '../../src/slack/ids';
import { FaultWorld, type FaultWorldOptions, SANDBOX } from './harness';
import { ssoInvariantViolations } from './invariant';
import { collectSecrets, findLeaks, type Haystack, logHaystacks, redisHaystacks, slackHaystacks } from './secret-scan';

/** Paths of the upstream routes the fault tests aim at. */
export const ROUTE = {
  providers: /^\/api\/v3\/providers\/oauth2\/$/,
  provider: /^\/api\/v3\/providers\/oauth2\/\d+\/$/,
  applications: /^\/api\/v3\/core\/applications\/$/,
  application: /^\/api\/v3\/core\/applications\/[^/]+\/$/,
  espoSettings: '/api/v1/Settings',
  espoSignIn: '/api/v1/App/user',
  postMessage: '/api/chat.postMessage',
} as const;

/** Worlds a test file started, so that its last test can scan them all and afterAll can clean up. */
export class WorldRegistry {
  readonly worlds: FaultWorld[] = [];
  /** Extra log lines, e.g. of child processes. */
  readonly extraLogs: Array<{ label: string; lines: () => string[] }> = [];

  async start(options: FaultWorldOptions): Promise<FaultWorld> {
    const world = await FaultWorld.start(options);
    this.worlds.push(world);
    return world;
  }

  /** Returns every secret form found in Slack traffic, logs and Redis of the registered worlds. */
  async leaks(): Promise<string[]> {
    const secrets = collectSecrets(this.worlds.map((world) => world.world));
    const haystacks: Haystack[] = [];
    for (const [index, world] of this.worlds.entries()) {
      haystacks.push(...slackHaystacks(world.world, `world ${index}`));
      haystacks.push(...logHaystacks(world.logLines, `world ${index} in-process bot log`));
      haystacks.push(...(await redisHaystacks(world.redisUrl, world.prefix).catch(() => [])));
    }
    for (const extra of this.extraLogs) haystacks.push(...logHaystacks(extra.lines(), extra.label));
    return findLeaks(secrets, haystacks);
  }

  /** Invariant violations in every registered world, each prefixed with the world's index. */
  invariantViolations(): string[] {
    return this.worlds.flatMap((world, index) => ssoInvariantViolations(world.world).map((violation) => `world ${index}: ${violation}`));
  }

  /** Counts the secrets, log lines and Slack calls the scan covers, so a test can prove it scanned something. */
  async scanSize(): Promise<{ secrets: number; logLines: number; slackCalls: number }> {
    return {
      secrets: collectSecrets(this.worlds.map((world) => world.world)).size,
      logLines: this.worlds.reduce((sum, world) => sum + world.logLines.length, 0) + this.extraLogs.reduce((sum, extra) => sum + extra.lines().length, 0),
      slackCalls: this.worlds.reduce((sum, world) => sum + world.slack.calls.length, 0),
    };
  }

  async stopAll(): Promise<void> {
    for (const world of this.worlds) await world.stop();
    for (const world of this.worlds) await world.removeKeys();
  }
}

/**
 * Requests `operation`, runs `beforeApprove` once the plan is pending (to inject faults that must
 * hit the apply and not the plan), approves, and waits for the end state.
 */
export async function runWithFaults(
  world: FaultWorld,
  bot: BotHandle,
  operation: 'setup' | 'rotate' | 'disable',
  beforeApprove: () => void,
  timeoutMs = 60_000,
): Promise<RequestRecord> {
  const pending = await world.requestPending(bot.url, operation);
  beforeApprove();
  const click = await world.click(bot.url, pending, ACTION.approve, SANDBOX.approverId);
  if (click.response.status !== 200) throw new Error(`the approve click answered HTTP ${click.response.status}`);
  const finished = await world.waitForTerminal(pending.id, timeoutMs);
  return finished;
}

/** Returns the statuses of requests in order. 0 means the connection was reset or got no response. */
export function statuses(requests: readonly RecordedRequest[]): number[] {
  return requests.map((request) => request.status);
}

/** Milliseconds between consecutive requests, e.g. to see the backoff between attempts. */
export function gaps(requests: readonly RecordedRequest[]): number[] {
  return requests.slice(1).map((request, index) => request.at - (requests[index]?.at ?? request.at));
}

/** Returns whether a Slack call body carries a result text ("<operation> <instance>: done|failed"). */
export function isResultPost(rawBody: string): boolean {
  let text: unknown;
  if (rawBody.trimStart().startsWith('{')) {
    text = (parseJson(rawBody) as { text?: unknown } | undefined)?.text;
  } else {
    text = new URLSearchParams(rawBody).get('text');
  }
  return typeof text === 'string' && /^\w+ [\w-]+: (done|failed)$/.test(text);
}
