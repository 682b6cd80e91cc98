import http from 'node:http';
import os from 'node:os';

import { type JsonObject } from '../sandbox/slack';
import { SANDBOX } from '../sandbox/world';
import { type BenchWorld, type BotProcess, startBenchWorld, startBotProcess } from './lib/bot-process';
import { readCpuSeconds } from './lib/processes';
import { type ApproveButton, approveButton, clickApprove, isFinalReplyText, isPending, requestSetup } from './lib/slack-driver';
import { type Spread, median, round, roundSpread, spread } from './lib/stats';
import { maxInWindow } from './lib/upstream';

/**
 * Figure 3, a fleet rollout: one `espo-sso serve` process sets up single sign-on on many EspoCRM
 * instances. The requester sends `/espo-sso setup <instance>` for every instance, the approver
 * clicks Approve on each request message once the bot stores its request as pending, and the run
 * ends when every request has its final reply. Each run starts from fresh fakes, so every setup creates its objects anew.
 */

export interface FleetOptions {
  instances: number;
  latencyMs: number;
  /** Worker concurrencies, each compared with concurrency 1. */
  concurrencies: number[];
  /** Runs of each concurrency above 1. */
  repeats: number;
  /** Runs at concurrency 1, the longest ones. */
  repeatsAtOne: number;
  /** The run with authentik.maxRequestsPerSecond set; perSecond 0 skips it. */
  rateLimited: { concurrency: number; perSecond: number };
  /** Commands and clicks in flight at once, as several people would send them. */
  userParallelism: number;
  pollMs: number;
  /** Upper bound of one run at concurrency 1, in milliseconds; other runs get a quarter of it. */
  runTimeoutMs: number;
}

export const DEFAULT_FLEET_OPTIONS: FleetOptions = {
  instances: 100,
  latencyMs: 50,
  concurrencies: [4, 16],
  repeats: 3,
  repeatsAtOne: 1,
  rateLimited: { concurrency: 16, perSecond: 60 },
  userParallelism: 8,
  pollMs: 20,
  // About 150 s on an idle 2-core machine; a run that shares the machine with other work needs more.
  runTimeoutMs: 420_000,
};

/** How often a run logs its progress. */
const PROGRESS_INTERVAL_MS = 30_000;

export interface FleetRun {
  concurrency: number;
  authentikLimitPerSecond: number;
  wallMs: number;
  succeeded: number;
  failed: number;
  authentikRequests: number;
  espocrmRequests: number;
  slackRequests: number;
  /**
   * Median time one instance's plan and apply took, from EspoCRM's view: from the sign-in to the
   * token's revocation at the end of the run. It grows with concurrency when jobs slow each other down.
   */
  planSpanMs: number;
  applySpanMs: number;
  /** Commands and clicks the bot did not acknowledge with 200 in time, which the simulated users repeated. */
  commandRetries: number;
  clickRetries: number;
  /** Maximum number of authentik requests that started in any one-second window. */
  authentikMaxPerSecond: number;
  /** authentik requests divided by the run's wall time, per second. */
  authentikMeanPerSecond: number;
  /** CPU seconds of the bot process and of this process (the fakes and the driver) during the run. */
  botCpuSeconds: number;
  benchCpuSeconds: number;
  /** Both CPU times divided by wall time times the machine's cores: 1 means every core was busy. */
  machineCpuShare: number;
}

export interface FleetPoint {
  concurrency: number;
  authentikLimitPerSecond: number;
  wallSeconds: Spread;
  /** Time at concurrency 1 divided by this time, per run. */
  speedup: Spread;
  /** Speed-up divided by the concurrency. */
  efficiency: Spread;
  authentikMaxPerSecond: Spread;
  machineCpuShare: Spread;
  planSpanMs: Spread;
  applySpanMs: Spread;
  /** Speed-up the rate limit allows at most: limit / (authentik requests per instance) x time per instance at concurrency 1. */
  speedupCeiling?: number;
}

export interface FleetResult {
  options: FleetOptions;
  runs: FleetRun[];
  points: FleetPoint[];
  targetEfficiency: number;
}

async function inParallel<T>(items: readonly T[], parallelism: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(parallelism, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/** Lists the request messages without a final reply and their last thread reply, for a timeout message. */
function describeUnfinished(bench: BenchWorld, finished: Map<string, unknown>): string {
  const open = bench.world.slack.messages(SANDBOX.channelId).filter((message) => !finished.has(message.ts));
  const lines = open.slice(0, 5).map((message) => `"${message.text}" -> last reply "${message.replies.at(-1)?.text ?? '(none)'}"`);
  return `Requests without a result: ${open.length}${lines.length > 0 ? `, e.g. ${lines.join('; ')}` : ''}.`;
}

/** Counts of commands and clicks that Slack would have shown as failed (no acknowledgement within 3 seconds). */
interface UserRetries {
  commands: number;
  clicks: number;
}

/**
 * Sends `/espo-sso setup <instance>` until the bot has a request for the instance. Slack shows a
 * command without a 200 as failed, so the user sends it again, at most three times. A request that
 * the bot created all the same is taken as is.
 */
async function requestUntilHeld(bench: BenchWorld, bot: BotProcess, agent: http.Agent, instance: string, retries: UserRetries): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await requestSetup(bot.url, agent, instance);
      return;
    } catch (error) {
      retries.commands += 1;
      if (await bench.requests.holder(instance)) return;
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Drives one rollout and returns its timing and request counts. */
async function rollout(
  bench: BenchWorld,
  bot: BotProcess,
  names: string[],
  options: FleetOptions,
  run: { concurrency: number; limit: number; timeoutMs: number },
  log: (line: string) => void,
): Promise<FleetRun> {
  const { concurrency, limit } = run;
  const slack = bench.world.slack;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.userParallelism });
  /** Request messages seen but not yet clicked, by ts. */
  const awaiting = new Map<string, ApproveButton>();
  const finished = new Map<string, { at: number; ok: boolean }>();
  const retries: UserRetries = { commands: 0, clicks: 0 };
  let scanned = 0;
  let lastProgress = Date.now();
  let sendError: unknown;
  const from = Date.now();
  const botCpuBefore = readCpuSeconds(bot.child.pid);
  const benchCpuBefore = process.cpuUsage();
  try {
    const sending = inParallel(names, options.userParallelism, (name) => requestUntilHeld(bench, bot, agent, name, retries)).catch((error: unknown) => {
      sendError = error;
    });
    const clicks: Promise<void>[] = [];
    // Each pass reads the fake Slack's call log from where the last pass stopped. A top-level
    // message with an Approve button is clicked once the bot stores its request as pending. A
    // thread reply ending in ": done" or ": failed" is a result.
    while (finished.size < names.length) {
      if (Date.now() - from > run.timeoutMs) {
        throw new Error(
          `fleet run at concurrency ${concurrency} timed out after ${run.timeoutMs} ms with ${finished.size} of ${names.length} done. ` +
            `${describeUnfinished(bench, finished)}\nOutput of ${bot.child.name}:\n${bot.child.output()}`,
        );
      }
      if (sendError !== undefined) throw sendError;
      const calls = slack.calls;
      for (; scanned < calls.length; scanned += 1) {
        const call = calls[scanned];
        if (!call || call.method !== 'chat.postMessage' || call.response.ok !== true) continue;
        const ts = call.response.ts as string;
        const threadTs = call.args.thread_ts;
        if (typeof threadTs === 'string') {
          if (isFinalReplyText(String(call.args.text ?? ''))) finished.set(threadTs, { at: call.at, ok: String(call.args.text).endsWith(': done') });
          continue;
        }
        if (call.args.channel !== SANDBOX.channelId) continue;
        const button = approveButton({ blocks: call.args.blocks as JsonObject[] | undefined });
        if (button) awaiting.set(ts, button);
      }
      const ready = await Promise.all([...awaiting].map(async ([ts, button]) => ((await isPending(bench.requests, button.requestId)) ? ts : undefined)));
      for (const ts of ready) {
        const button = ts === undefined ? undefined : awaiting.get(ts);
        if (ts === undefined || !button) continue;
        awaiting.delete(ts);
        clicks.push(
          clickApprove(bot.url, agent, slack, ts, button).catch(() => {
            // A click without a 200 failed in the user's eyes; the user clicks again while the request is still pending.
            retries.clicks += 1;
            setTimeout(() => awaiting.set(ts, button), 1000);
          }),
        );
      }
      if (Date.now() - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = Date.now();
        log(`    ${((Date.now() - from) / 1000).toFixed(0)} s: ${clicks.length} approved, ${finished.size} of ${names.length} finished`);
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
    await sending;
    await Promise.all(clicks);
  } finally {
    agent.destroy();
  }
  const botCpuSeconds = readCpuSeconds(bot.child.pid) - botCpuBefore;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const benchCpuSeconds = (benchCpu.user + benchCpu.system) / 1e6;
  const to = Math.max(...[...finished.values()].map((result) => result.at));
  const authentikTimes = bench.world.authentik.server.requests.filter((request) => request.at >= from && request.at <= to).map((request) => request.at);
  const espocrmRequests = bench.world.instances.reduce((sum, instance) => sum + instance.espocrm.server.requests.filter((request) => request.at >= from).length, 0);
  const succeeded = [...finished.values()].filter((result) => result.ok).length;
  return {
    concurrency,
    authentikLimitPerSecond: limit,
    wallMs: to - from,
    succeeded,
    failed: finished.size - succeeded,
    authentikRequests: authentikTimes.length,
    espocrmRequests,
    slackRequests: slack.server.requests.filter((request) => request.at >= from && request.at <= to).length,
    ...jobSpans(bench, from),
    commandRetries: retries.commands,
    clickRetries: retries.clicks,
    authentikMaxPerSecond: maxInWindow(authentikTimes, 1000),
    authentikMeanPerSecond: round(authentikTimes.length / ((to - from) / 1000), 1),
    botCpuSeconds: round(botCpuSeconds, 1),
    benchCpuSeconds: round(benchCpuSeconds, 1),
    machineCpuShare: round((botCpuSeconds + benchCpuSeconds) / ((Date.now() - from) / 1000) / os.availableParallelism(), 2),
  };
}

/** Returns the median plan and apply spans, from each instance's sign-ins and token revocations in order. */
function jobSpans(bench: BenchWorld, from: number): { planSpanMs: number; applySpanMs: number } {
  const plans: number[] = [];
  const applies: number[] = [];
  for (const instance of bench.world.instances) {
    const requests = instance.espocrm.server.requests.filter((request) => request.at >= from);
    const signIns = requests.filter((request) => request.method === 'GET' && request.path === '/api/v1/App/user').map((request) => request.at);
    const signOuts = requests.filter((request) => request.method === 'POST' && request.path === '/api/v1/App/destroyAuthToken').map((request) => request.at);
    if (signIns.length >= 2 && signOuts.length >= 2) {
      plans.push((signOuts[0] as number) - (signIns[0] as number));
      applies.push((signOuts[1] as number) - (signIns[1] as number));
    }
  }
  return { planSpanMs: median(plans), applySpanMs: median(applies) };
}

async function runOnce(options: FleetOptions, concurrency: number, limit: number, log: (line: string) => void): Promise<FleetRun> {
  const names = Array.from({ length: options.instances }, (_value, index) => `crm-${String(index).padStart(3, '0')}`);
  const bench = await startBenchWorld(`fleet-c${concurrency}`, { instances: names, latencyMs: options.latencyMs, worker: { concurrency } }, (config) => {
    if (limit > 0) (config.authentik as Record<string, unknown>).maxRequestsPerSecond = limit;
  });
  let bot: BotProcess | undefined;
  try {
    bot = await startBotProcess(bench, 'serve');
    const timeoutMs = concurrency === 1 ? options.runTimeoutMs : options.runTimeoutMs / 4;
    return await rollout(bench, bot, names, options, { concurrency, limit, timeoutMs }, log);
  } finally {
    await bot?.child.stop();
    await bench.stop();
  }
}

/** Runs figure 3. */
export async function runFleetBenchmark(options: FleetOptions, log: (line: string) => void): Promise<FleetResult> {
  const runs: FleetRun[] = [];
  const record = (run: FleetRun): void => {
    runs.push(run);
    const limit = run.authentikLimitPerSecond > 0 ? `, authentik limit ${run.authentikLimitPerSecond}/s` : '';
    log(
      `  fleet concurrency ${run.concurrency}${limit}: ${(run.wallMs / 1000).toFixed(1)} s, ${run.succeeded} done, ${run.failed} failed, ` +
        `${run.commandRetries + run.clickRetries} repeated by users, plan ${run.planSpanMs} ms and apply ${run.applySpanMs} ms per instance, ` +
        `${run.authentikRequests} authentik requests (max ${run.authentikMaxPerSecond} in a second, mean ${run.authentikMeanPerSecond}/s), ` +
        `CPU: bot ${run.botCpuSeconds} s, fakes and driver ${run.benchCpuSeconds} s, ${Math.round(run.machineCpuShare * 100)}% of the machine`,
    );
  };
  for (let index = 0; index < options.repeatsAtOne; index += 1) record(await runOnce(options, 1, 0, log));
  // Concurrencies take turns, so that a slow stretch of the machine does not hit one of them only.
  for (let index = 0; index < options.repeats; index += 1) {
    for (const concurrency of options.concurrencies) record(await runOnce(options, concurrency, 0, log));
  }
  if (options.rateLimited.perSecond > 0) record(await runOnce(options, options.rateLimited.concurrency, options.rateLimited.perSecond, log));

  const baseline = runs.filter((run) => run.concurrency === 1 && run.authentikLimitPerSecond === 0);
  const baselineMs = spread(baseline.map((run) => run.wallMs)).median;
  const perInstanceAtOne = spread(baseline.map((run) => run.authentikRequests / options.instances)).median;
  const groups = new Map<string, FleetRun[]>();
  for (const run of runs) {
    const key = `${run.concurrency}/${run.authentikLimitPerSecond}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const points: FleetPoint[] = [...groups.values()].map((group) => {
    const first = group[0] as FleetRun;
    const limit = first.authentikLimitPerSecond;
    const point: FleetPoint = {
      concurrency: first.concurrency,
      authentikLimitPerSecond: limit,
      wallSeconds: roundSpread(spread(group.map((run) => run.wallMs / 1000)), 1),
      speedup: roundSpread(spread(group.map((run) => baselineMs / run.wallMs)), 2),
      efficiency: roundSpread(spread(group.map((run) => baselineMs / run.wallMs / run.concurrency)), 2),
      authentikMaxPerSecond: spread(group.map((run) => run.authentikMaxPerSecond)),
      machineCpuShare: roundSpread(spread(group.map((run) => run.machineCpuShare)), 2),
      planSpanMs: roundSpread(spread(group.map((run) => run.planSpanMs)), 0),
      applySpanMs: roundSpread(spread(group.map((run) => run.applySpanMs)), 0),
    };
    if (limit > 0) point.speedupCeiling = round((limit / perInstanceAtOne) * (baselineMs / 1000 / options.instances), 2);
    return point;
  });
  return { options, runs, points, targetEfficiency: 0.8 };
}
