import http from 'node:http';

import { type BenchWorld, type BotProcess, startBareBolt, startBenchWorld, startBotProcess } from './lib/bot-process';
import { type BenchCommand, HELP_COMMAND, STATUS_COMMAND, sendCommandBatch } from './lib/commands';
import { type Spread, quantile, round, roundSpread, spread } from './lib/stats';

/**
 * Figure 1, acknowledgement latency: signed slash commands over keep-alive HTTP, one at a time,
 * to `espo-sso web` and to a bare Bolt app that only acknowledges, each a child process. The sides
 * take turns in batches, so all see the same machine noise, and every ratio compares batches that
 * ran back to back. Two more variants of the bare app split espo-sso's extra time into its
 * parts: one calls Slack's auth.test before every event, as Bolt does with espo-sso's settings,
 * and one adds a BullMQ job before acknowledging, as `status` must.
 */

export interface AckOptions {
  batches: number;
  batchSize: number;
  /** Unmeasured commands per side and command before the first batch. */
  warmup: number;
  /** Batches and batch size of the variant where the fake Slack responds after `slackLatencyMs`. */
  slowSlackBatches: number;
  slowSlackBatchSize: number;
  slackLatencyMs: number;
}

export const DEFAULT_ACK_OPTIONS: AckOptions = {
  batches: 10,
  batchSize: 200,
  warmup: 200,
  slowSlackBatches: 3,
  slowSlackBatchSize: 40,
  slackLatencyMs: 50,
};

/** p50, p90 and p99 in milliseconds: the median over batches with its range, and over all samples. */
export interface LatencySummary {
  p50: Spread;
  p90: Spread;
  p99: Spread;
  pooled: { p50: number; p90: number; p99: number; max: number; samples: number };
  /** Responses that were not 200 or, for espo-sso, not the expected acknowledgement. */
  errors: number;
  /** Requests the fake Slack received during this side's batches, per command. */
  slackCallsPerCommand: number;
}

/**
 * `bare` acknowledges only; `bareAuthTest` also calls auth.test before every event, as Bolt does
 * with espo-sso's settings; `bareEnqueue` adds one BullMQ job before acknowledging.
 */
export type SideName = 'espo' | 'bare' | 'bareAuthTest' | 'bareEnqueue';

/** espo-sso divided by a baseline, per batch pair. */
export interface LatencyRatio {
  baseline: SideName;
  p50: Spread;
  p90: Spread;
  p99: Spread;
}

export interface AckCommandResult {
  command: string;
  /** Added latency of the fake Slack Web API during this variant, in milliseconds. */
  slackLatencyMs: number;
  batches: number;
  batchSize: number;
  sides: Partial<Record<SideName, LatencySummary>>;
  ratios: LatencyRatio[];
}

export interface AckResult {
  options: AckOptions;
  commands: AckCommandResult[];
  targets: { p50RatioMax: number; p99MaxMs: number };
}

interface Side {
  name: SideName;
  bot: BotProcess;
  /** Whether the body is checked. The bare apps respond with an empty 200. */
  expectBody: boolean;
  agent: http.Agent;
  batches: number[][];
  errors: number;
  slackCalls: number;
}

interface Variant {
  command: BenchCommand;
  sides: SideName[];
  batches: number;
  batchSize: number;
  warmup: number;
  slackLatencyMs: number;
}

function summarize(batches: number[][], errors: number, slackCalls: number): LatencySummary {
  const all = batches.flat();
  return {
    p50: roundSpread(spread(batches.map((batch) => quantile(batch, 0.5)))),
    p90: roundSpread(spread(batches.map((batch) => quantile(batch, 0.9)))),
    p99: roundSpread(spread(batches.map((batch) => quantile(batch, 0.99)))),
    pooled: {
      p50: round(quantile(all, 0.5)),
      p90: round(quantile(all, 0.9)),
      p99: round(quantile(all, 0.99)),
      max: round(Math.max(...all)),
      samples: all.length,
    },
    errors,
    slackCallsPerCommand: round(slackCalls / Math.max(1, all.length), 3),
  };
}

function batchRatios(espo: number[][], baseline: number[][], q: number): Spread {
  return roundSpread(spread(espo.map((batch, index) => quantile(batch, q) / quantile(baseline[index] ?? [], q))), 3);
}

async function measureVariant(variant: Variant, bots: Record<SideName, BotProcess>, bench: BenchWorld, log: (line: string) => void): Promise<AckCommandResult> {
  const { command } = variant;
  const sides: Side[] = variant.sides.map((name) => ({
    name,
    bot: bots[name],
    expectBody: name === 'espo',
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    batches: [],
    errors: 0,
    slackCalls: 0,
  }));
  const slackRequests = bench.world.slack.server.requests;
  bench.world.slack.server.latencyMs = variant.slackLatencyMs;
  try {
    for (const side of sides) await sendCommandBatch(side.bot.url, side.agent, command, variant.warmup, side.expectBody);
    for (let batch = 0; batch < variant.batches; batch += 1) {
      // The side that goes first rotates, so that none always runs on a warmer machine.
      const order = sides.map((_side, index) => sides[(index + batch) % sides.length] as Side);
      for (const side of order) {
        const slackBefore = slackRequests.length;
        const result = await sendCommandBatch(side.bot.url, side.agent, command, variant.batchSize, side.expectBody);
        side.slackCalls += slackRequests.length - slackBefore;
        side.batches.push(result.latenciesMs);
        side.errors += result.errors;
      }
      const medians = sides.map((side) => `${side.name} ${round(quantile(side.batches.at(-1) ?? [], 0.5))} ms`).join(', ');
      log(`  ack "${command.text}" (Slack +${variant.slackLatencyMs} ms) batch ${batch + 1}/${variant.batches}: p50 ${medians}`);
    }
  } finally {
    bench.world.slack.server.latencyMs = 0;
    for (const side of sides) side.agent.destroy();
  }

  const espo = sides.find((side) => side.name === 'espo') as Side;
  const result: AckCommandResult = {
    command: command.text,
    slackLatencyMs: variant.slackLatencyMs,
    batches: variant.batches,
    batchSize: variant.batchSize,
    sides: {},
    ratios: [],
  };
  for (const side of sides) {
    result.sides[side.name] = summarize(side.batches, side.errors, side.slackCalls);
    if (side === espo) continue;
    result.ratios.push({
      baseline: side.name,
      p50: batchRatios(espo.batches, side.batches, 0.5),
      p90: batchRatios(espo.batches, side.batches, 0.9),
      p99: batchRatios(espo.batches, side.batches, 0.99),
    });
  }
  return result;
}

/**
 * Runs figure 1: `help` (parse and acknowledge) and `status demo` (access check, a job added to
 * Redis, then the acknowledgement) with fakes that respond at once. Then it runs `help` again with
 * the fake Slack responding after `slackLatencyMs`, as the real Slack API does.
 */
export async function runAckBenchmark(options: AckOptions, log: (line: string) => void): Promise<AckResult> {
  const bench = await startBenchWorld('ack', { instances: ['demo'], latencyMs: 0 });
  const started: BotProcess[] = [];
  try {
    const espo = await startBotProcess(bench, 'web');
    started.push(espo);
    const bare = await startBareBolt(bench);
    started.push(bare);
    const bareAuthTest = await startBareBolt(bench, { authTestPerEvent: true });
    started.push(bareAuthTest);
    const bareEnqueue = await startBareBolt(bench, { enqueue: true });
    started.push(bareEnqueue);
    const bots = { espo, bare, bareAuthTest, bareEnqueue };
    const full = { batches: options.batches, batchSize: options.batchSize, warmup: options.warmup, slackLatencyMs: 0 };
    const variants: Variant[] = [
      { command: HELP_COMMAND, sides: ['espo', 'bare', 'bareAuthTest'], ...full },
      { command: STATUS_COMMAND, sides: ['espo', 'bare', 'bareAuthTest', 'bareEnqueue'], ...full },
      {
        command: HELP_COMMAND,
        sides: ['espo', 'bare', 'bareAuthTest'],
        batches: options.slowSlackBatches,
        batchSize: options.slowSlackBatchSize,
        warmup: 5,
        slackLatencyMs: options.slackLatencyMs,
      },
    ];
    const commands: AckCommandResult[] = [];
    for (const variant of variants) commands.push(await measureVariant(variant, bots, bench, log));
    return { options, commands, targets: { p50RatioMax: 1.1, p99MaxMs: 50 } };
  } finally {
    for (const bot of started) await bot.child.stop();
    await bench.stop();
  }
}
