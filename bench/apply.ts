import http from 'node:http';

import { parseConfig } from '../src/config';
import { createLogger } from '../src/logging/logger';
import { registerConfigSecrets } from '../src/logging/secrets';
import { applyPlan, createContext, planOperation, requireInstance, withContext } from '../src/provisioning';
import { SANDBOX } from '../sandbox/world';
import { type BenchWorld, type BotProcess, startBenchWorld, startBotProcess } from './lib/bot-process';
import { clickApprove, finalReply, isPending, requestMessagesByInstance, requestSetup, waitFor } from './lib/slack-driver';
import { type Spread, roundSpread, spread } from './lib/stats';
import { type Round, groupRounds, requestsBetween } from './lib/upstream';

/**
 * Figure 2, the critical path of an approved setup. Every fake responds after a fixed latency L.
 * Two measurements take turns, each on an instance of its own, so every run starts from a fresh
 * state: the engine's `applyPlan` alone, called in this process, and the whole flow through
 * `espo-sso serve` from the approver's click to the final reply in the request's thread.
 */

export interface ApplyOptions {
  latencyMs: number;
  /** Measured runs of each kind; one unmeasured run of each comes first. */
  runs: number;
}

export const DEFAULT_APPLY_OPTIONS: ApplyOptions = { latencyMs: 50, runs: 7 };

/** The rounds that the data dependencies of a setup force, each one latency long. */
export const FORCED_ROUNDS = [
  'authentik version and EspoCRM sign-in (every later call needs one of them)',
  'the drift check: every authentik and EspoCRM read, at once',
  'create the authentik provider (needs the flows, scope mappings and keypair just read)',
  'create the authentik application (needs the provider pk)',
  'write the EspoCRM settings (needs the client id, and comes after authentik is ready so that the login never points at a missing provider)',
  'verify: discovery, JWKS, EspoCRM settings, public settings and authorization data, at once',
];

export interface RunDetail {
  wallMs: number;
  upstreamCalls: number;
  rounds: number;
  slackCalls: number;
  /** Rounds over authentik, EspoCRM and Slack together. */
  roundsWithSlack: number;
}

export interface PathSummary {
  wallMs: Spread;
  lowerBoundMs: number;
  /** Wall time divided by the lower bound, per run. */
  ratio: Spread;
  upstreamCalls: Spread;
  rounds: Spread;
  slackCalls: Spread;
  roundsWithSlack: Spread;
  runs: RunDetail[];
  /** The rounds of the median run, for the record: upstream only, and with Slack. */
  exampleRounds: Round[];
  exampleRoundsWithSlack: Round[];
}

export interface ApplyResult {
  options: ApplyOptions;
  forcedRounds: string[];
  engine: PathSummary;
  flow: PathSummary;
  /** Lower bound of the whole flow: the forced rounds plus the final reply to Slack. */
  flowExtraRounds: string[];
  targetRatio: number;
  failures: string[];
}

interface Measured {
  detail: RunDetail;
  rounds: Round[];
  roundsWithSlack: Round[];
}

function collect(bench: BenchWorld, instance: string, from: number, to: number, latencyMs: number): Measured {
  const espocrm = bench.world.instances.find((candidate) => candidate.name === instance)?.espocrm;
  if (!espocrm) throw new Error(`no fake EspoCRM for ${instance}`);
  const upstream = [
    ...requestsBetween('authentik', bench.world.authentik.server.requests, from, to),
    ...requestsBetween('espocrm', espocrm.server.requests, from, to),
  ];
  const slack = requestsBetween('slack', bench.world.slack.server.requests, from, to);
  const rounds = groupRounds(upstream, latencyMs / 2, from);
  const roundsWithSlack = groupRounds([...upstream, ...slack], latencyMs / 2, from);
  return {
    rounds,
    roundsWithSlack,
    detail: {
      wallMs: to - from,
      upstreamCalls: upstream.length,
      rounds: rounds.length,
      slackCalls: slack.length,
      roundsWithSlack: roundsWithSlack.length,
    },
  };
}

/** Plans in one context and applies in a fresh one, as the worker's two jobs do; times `applyPlan` alone. */
async function runEngine(bench: BenchWorld, instance: string, latencyMs: number): Promise<Measured> {
  const config = parseConfig(bench.world.config, { ...bench.world.env, PORT: '0' }, { source: 'benchmark configuration' });
  registerConfigSecrets(config);
  const logger = createLogger({ level: 'silent' });
  const target = requireInstance(config, instance);
  const plan = await withContext(config, target, { logger }, (context) => planOperation(context, 'setup'));
  const context = createContext(config, target, { logger });
  const from = Date.now();
  const outcome = await applyPlan(context, plan);
  const to = Date.now();
  await context.espocrm.signOut();
  if (!outcome.ok) throw new Error(`applyPlan failed for ${instance}: ${outcome.error?.message ?? 'unknown error'}`);
  return collect(bench, instance, from, to, latencyMs);
}

/** Requests a setup, waits for the plan, clicks Approve and waits for the final reply. */
async function runFlow(bench: BenchWorld, bot: BotProcess, agent: http.Agent, instance: string, latencyMs: number): Promise<Measured> {
  const slack = bench.world.slack;
  await requestSetup(bot.url, agent, instance);
  const request = await waitFor(`the plan of ${instance}`, () => requestMessagesByInstance(slack).get(instance), 30_000);
  await waitFor(`the request of ${instance} to be pending`, async () => ((await isPending(bench.requests, request.button.requestId)) ? true : undefined), 30_000);
  const from = Date.now();
  await clickApprove(bot.url, agent, slack, request.message.ts, request.button);
  const reply = await waitFor(`the result of ${instance}`, () => {
    const message = slack.message(SANDBOX.channelId, request.message.ts);
    return message ? finalReply(message) : undefined;
  }, 30_000);
  if (!reply.text.endsWith(': done')) throw new Error(`the apply of ${instance} ended with "${reply.text}"`);
  return collect(bench, instance, from, reply.postedAt, latencyMs);
}

function summarizePath(measured: Measured[], lowerBoundMs: number): PathSummary {
  const runs = measured.map((run) => run.detail);
  const byWall = [...measured].sort((a, b) => a.detail.wallMs - b.detail.wallMs);
  const middle = byWall[Math.floor(byWall.length / 2)];
  return {
    wallMs: roundSpread(spread(runs.map((run) => run.wallMs)), 1),
    lowerBoundMs,
    ratio: roundSpread(spread(runs.map((run) => run.wallMs / lowerBoundMs)), 3),
    upstreamCalls: spread(runs.map((run) => run.upstreamCalls)),
    rounds: spread(runs.map((run) => run.rounds)),
    slackCalls: spread(runs.map((run) => run.slackCalls)),
    roundsWithSlack: spread(runs.map((run) => run.roundsWithSlack)),
    runs,
    exampleRounds: middle?.rounds ?? [],
    exampleRoundsWithSlack: middle?.roundsWithSlack ?? [],
  };
}

/** Runs figure 2. */
export async function runApplyBenchmark(options: ApplyOptions, log: (line: string) => void): Promise<ApplyResult> {
  const count = options.runs + 1;
  const engineInstances = Array.from({ length: count }, (_value, index) => `engine-${index}`);
  const flowInstances = Array.from({ length: count }, (_value, index) => `flow-${index}`);
  const bench = await startBenchWorld('apply', { instances: [...engineInstances, ...flowInstances], latencyMs: options.latencyMs });
  const agent = new http.Agent({ keepAlive: true });
  let bot: BotProcess | undefined;
  try {
    bot = await startBotProcess(bench, 'serve');
    const engine: Measured[] = [];
    const flow: Measured[] = [];
    for (let index = 0; index < count; index += 1) {
      const engineRun = await runEngine(bench, engineInstances[index] as string, options.latencyMs);
      const flowRun = await runFlow(bench, bot, agent, flowInstances[index] as string, options.latencyMs);
      const label = index === 0 ? 'warm-up' : `run ${index}/${options.runs}`;
      log(`  apply ${label}: applyPlan ${engineRun.detail.wallMs} ms in ${engineRun.detail.rounds} rounds, click to reply ${flowRun.detail.wallMs} ms`);
      if (index === 0) continue;
      engine.push(engineRun);
      flow.push(flowRun);
    }
    const lowerBound = FORCED_ROUNDS.length * options.latencyMs;
    return {
      options,
      forcedRounds: FORCED_ROUNDS,
      engine: summarizePath(engine, lowerBound),
      flow: summarizePath(flow, lowerBound + options.latencyMs),
      flowExtraRounds: ['post the result as a thread reply in Slack'],
      targetRatio: 1.25,
      failures: [],
    };
  } finally {
    agent.destroy();
    await bot?.child.stop();
    await bench.stop();
  }
}

