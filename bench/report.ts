import { type AckResult, type LatencySummary, type SideName } from './ack';
import { type ApplyResult, type PathSummary } from './apply';
import { type FleetResult } from './fleet';
import { type MachineInfo } from './lib/machine';
import { type Spread } from './lib/stats';
import { type MemoryResult } from './memory';

/** One figure's result with where and when it was taken. */
export interface FigureRecord<T> {
  takenAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  /** 1-minute load average before and after the figure. */
  loadAverage: { start: number; end: number };
  /** Whether the figure ran with the reduced counts of --quick. */
  quick: boolean;
  result: T;
}

/** The results file: bench/results/latest.json and its committed copy BENCHMARKS.json. */
export interface BenchResults {
  ack?: FigureRecord<AckResult>;
  apply?: FigureRecord<ApplyResult>;
  fleet?: FigureRecord<FleetResult>;
  memory?: FigureRecord<MemoryResult>;
}

export const RESULTS_BEGIN = '<!-- BEGIN GENERATED RESULTS: written by `npm run bench`; edits between these markers are overwritten. -->';
export const RESULTS_END = '<!-- END GENERATED RESULTS -->';

const SIDE_LABEL: Record<SideName, string> = {
  espo: 'espo-sso web',
  bare: 'bare Bolt',
  bareAuthTest: 'bare Bolt + auth.test per event',
  bareEnqueue: 'bare Bolt + BullMQ add',
};

/** Formats a spread as "median (min–max)"; a single value alone. */
function formatSpread(value: Spread, unit = '', digits = 2): string {
  const number = (x: number): string => x.toFixed(digits);
  if (value.n <= 1 || value.min === value.max) return `${number(value.median)}${unit}`;
  return `${number(value.median)}${unit} (${number(value.min)}–${number(value.max)})`;
}

function verdict(met: boolean): string {
  return met ? 'met' : '**missed**';
}

function header(record: FigureRecord<unknown>): string {
  const quick = record.quick ? ' Taken with `--quick`: reduced counts, for a smoke test only.' : '';
  return `Taken ${record.takenAt} in ${record.durationSeconds.toFixed(0)} s; 1-minute load average ${record.loadAverage.start} before, ${record.loadAverage.end} after.${quick}`;
}

function ackSection(record: FigureRecord<AckResult>): string[] {
  const { result } = record;
  const lines = ['### 1. Acknowledgement latency', '', header(record), ''];
  lines.push(
    `Milliseconds from signing a slash command to the end of the response, one command at a time over keep-alive HTTP. Each cell is the median over ${result.options.batches} batches of ${result.options.batchSize} (the slow-Slack variant: ${result.options.slowSlackBatches} batches of ${result.options.slowSlackBatchSize}), with the range over batches in brackets; "all" is the percentile over every sample.`,
    '',
    '| command | fake Slack latency | side | p50 | p90 | p99 | p99 all | max | Slack calls per command | unexpected responses |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const command of result.commands) {
    for (const [name, summary] of Object.entries(command.sides) as Array<[SideName, LatencySummary]>) {
      lines.push(
        `| \`${command.command}\` | ${command.slackLatencyMs} ms | ${SIDE_LABEL[name]} | ${formatSpread(summary.p50)} | ${formatSpread(summary.p90)} | ${formatSpread(summary.p99)} | ${summary.pooled.p99.toFixed(2)} | ${summary.pooled.max.toFixed(1)} | ${summary.slackCallsPerCommand} | ${summary.errors} |`,
      );
    }
  }
  lines.push('', 'espo-sso divided by each baseline, per pair of batches that ran back to back:', '', '| command | fake Slack latency | baseline | p50 ratio | p90 ratio | p99 ratio |', '| --- | --- | --- | --- | --- | --- |');
  for (const command of result.commands) {
    for (const ratio of command.ratios) {
      lines.push(`| \`${command.command}\` | ${command.slackLatencyMs} ms | ${SIDE_LABEL[ratio.baseline]} | ${formatSpread(ratio.p50, '', 3)} | ${formatSpread(ratio.p90, '', 3)} | ${formatSpread(ratio.p99, '', 3)} |`);
    }
  }
  lines.push('', '| target | command | fake Slack latency | value | verdict |', '| --- | --- | --- | --- | --- |');
  for (const command of result.commands) {
    const bare = command.ratios.find((ratio) => ratio.baseline === 'bare');
    const espo = command.sides.espo;
    if (bare) {
      lines.push(`| p50 ratio to bare Bolt ≤ ${result.targets.p50RatioMax} | \`${command.command}\` | ${command.slackLatencyMs} ms | ${bare.p50.median.toFixed(3)} | ${verdict(bare.p50.median <= result.targets.p50RatioMax)} |`);
    }
    if (espo) {
      lines.push(`| p99 < ${result.targets.p99MaxMs} ms | \`${command.command}\` | ${command.slackLatencyMs} ms | ${espo.pooled.p99.toFixed(2)} ms | ${verdict(espo.pooled.p99 < result.targets.p99MaxMs)} |`);
    }
  }
  return lines;
}

function pathRow(label: string, path: PathSummary): string {
  return `| ${label} | ${formatSpread(path.wallMs, ' ms', 0)} | ${path.lowerBoundMs} ms | ${formatSpread(path.ratio, '', 3)} | ${formatSpread(path.upstreamCalls, '', 0)} | ${formatSpread(path.rounds, '', 0)} | ${formatSpread(path.slackCalls, '', 0)} | ${formatSpread(path.roundsWithSlack, '', 0)} |`;
}

function applySection(record: FigureRecord<ApplyResult>): string[] {
  const { result } = record;
  const latency = result.options.latencyMs;
  const lines = ['### 2. Apply critical path', '', header(record), ''];
  lines.push(
    `Every fake responds after L = ${latency} ms. Median over ${result.options.runs} runs of each kind (range in brackets), after one unmeasured run of each. Upstream calls are the requests authentik and EspoCRM received; a round is a group of requests that started within L/2 of the group's first.`,
    '',
    '| path | wall time | lower bound | wall / bound | upstream calls | upstream rounds | Slack calls | rounds with Slack |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    pathRow('`applyPlan` alone', result.engine),
    pathRow('approval click to final reply (`espo-sso serve`)', result.flow),
    '',
    `Forced rounds (lower bound of \`applyPlan\` = ${result.forcedRounds.length} × L = ${result.engine.lowerBoundMs} ms):`,
    '',
    ...result.forcedRounds.map((round, index) => `${index + 1}. ${round}`),
    '',
    `The whole flow adds: ${result.flowExtraRounds.join('; ')} (lower bound ${result.flow.lowerBoundMs} ms).`,
    '',
    '| target | path | value | verdict |',
    '| --- | --- | --- | --- |',
    `| wall ≤ ${result.targetRatio} × lower bound | \`applyPlan\` | ${result.engine.ratio.median.toFixed(3)} | ${verdict(result.engine.ratio.median <= result.targetRatio)} |`,
    `| wall ≤ ${result.targetRatio} × lower bound | click to final reply | ${result.flow.ratio.median.toFixed(3)} | ${verdict(result.flow.ratio.median <= result.targetRatio)} |`,
    '',
    'Rounds of the median `applyPlan` run (milliseconds from the call):',
    '',
    '```',
    ...result.engine.exampleRounds.map((round) => `${String(round.startMs).padStart(5)}  ${round.requests.join(', ')}`),
    '```',
    '',
    'Rounds of the median click-to-reply run, Slack included (milliseconds from the click):',
    '',
    '```',
    ...result.flow.exampleRoundsWithSlack.map((round) => `${String(round.startMs).padStart(5)}  ${round.requests.join(', ')}`),
    '```',
  );
  return lines;
}

function times(count: number): string {
  return count === 1 ? 'once' : `${count} times`;
}

function fleetSection(record: FigureRecord<FleetResult>): string[] {
  const { result } = record;
  const { options } = result;
  const lines = ['### 3. Fleet rollout', '', header(record), ''];
  lines.push(
    `${options.instances} instances, every fake responding after ${options.latencyMs} ms, one \`espo-sso serve\` process. Time from the first command to the last final reply. Concurrency 1 ran ${times(options.repeatsAtOne)}, to keep the bench within 10 minutes; the other concurrencies ran ${times(options.repeats)} each, taking turns. Speed-up is the concurrency-1 time divided by each run's time. Plan and apply per instance are medians of the time from EspoCRM sign-in to token revocation; CPU share is the CPU time of the bot and of the benchmark process (fakes and driver) over wall time and all cores.`,
    '',
    '| concurrency | authentik limit | runs | wall time | speed-up | speed-up / concurrency | max authentik requests in 1 s | plan per instance | apply per instance | CPU share of the machine |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const point of result.points) {
    const limit = point.authentikLimitPerSecond > 0 ? `${point.authentikLimitPerSecond}/s` : 'none';
    lines.push(
      `| ${point.concurrency} | ${limit} | ${point.wallSeconds.n} | ${formatSpread(point.wallSeconds, ' s', 1)} | ${formatSpread(point.speedup)} | ${formatSpread(point.efficiency)} | ${formatSpread(point.authentikMaxPerSecond, '', 0)} | ${formatSpread(point.planSpanMs, ' ms', 0)} | ${formatSpread(point.applySpanMs, ' ms', 0)} | ${formatSpread(point.machineCpuShare)} |`,
    );
  }
  const failed = result.runs.reduce((sum, run) => sum + run.failed, 0);
  const retried = result.runs.reduce((sum, run) => sum + run.commandRetries + run.clickRetries, 0);
  lines.push('', `Setups that failed: ${failed}. Commands or clicks the bot did not acknowledge in time, which the simulated users repeated: ${retried}.`, '');
  lines.push('| target | case | value | verdict |', '| --- | --- | --- | --- |');
  for (const point of result.points) {
    if (point.concurrency === 1) continue;
    if (point.authentikLimitPerSecond === 0) {
      lines.push(`| speed-up ≥ ${result.targetEfficiency} × concurrency | concurrency ${point.concurrency} | ${point.speedup.median.toFixed(2)} (${point.efficiency.median.toFixed(2)} × ${point.concurrency}) | ${verdict(point.efficiency.median >= result.targetEfficiency)} |`);
    } else {
      lines.push(
        `| max authentik requests in any 1 s ≤ limit | concurrency ${point.concurrency}, limit ${point.authentikLimitPerSecond}/s | ${point.authentikMaxPerSecond.max} | ${verdict(point.authentikMaxPerSecond.max <= point.authentikLimitPerSecond)} |`,
        `| speed-up flattens at the limit's ceiling | concurrency ${point.concurrency}, limit ${point.authentikLimitPerSecond}/s | ${point.speedup.median.toFixed(2)}, ceiling ${point.speedupCeiling?.toFixed(2) ?? '?'} | ${verdict(point.speedupCeiling !== undefined && point.speedup.median <= point.speedupCeiling * 1.1)} |`,
      );
    }
  }
  return lines;
}

function mebibytes(value: number | undefined): string {
  return value === undefined ? 'not measured' : `${value.toFixed(1)} MiB`;
}

function memorySection(record: FigureRecord<MemoryResult>): string[] {
  const { result } = record;
  const lines = ['### 4. Memory and start-up', '', header(record), ''];
  lines.push(
    `Median over ${result.options.starts} starts of each (range in brackets); RSS after load from ${result.options.loadedStarts} of them, after ${result.options.commands} \`status demo\` commands, and from the first start after ${2 * result.options.commands}. Both run from the TypeScript sources through tsx, as \`npx espo-sso\` does without a build, with bench/lib/heap-probe.ts preloaded.`,
    '',
    `| process | spawn to first 200 | RSS idle | RSS after ${result.options.commands} commands | RSS after ${2 * result.options.commands} commands (first start) |`,
    '| --- | --- | --- | --- | --- |',
    `| espo-sso web (/readyz) | ${formatSpread(result.espo.readyMs, ' ms', 0)} | ${formatSpread(result.espo.idleRssMiB, ' MiB', 1)} | ${formatSpread(result.espo.loadedRssMiB, ' MiB', 1)} | ${mebibytes(result.espo.doubleLoadedRssMiB)} |`,
    `| bare Bolt (/healthz) | ${formatSpread(result.bare.readyMs, ' ms', 0)} | ${formatSpread(result.bare.idleRssMiB, ' MiB', 1)} | ${formatSpread(result.bare.loadedRssMiB, ' MiB', 1)} | ${mebibytes(result.bare.doubleLoadedRssMiB)} |`,
    `| ratio, per start | ${formatSpread(result.ratio.readyMs)} | ${formatSpread(result.ratio.idleRssMiB)} | ${formatSpread(result.ratio.loadedRssMiB)} | |`,
    '',
    'Live heap after two forced full garbage collections, at the same moments:',
    '',
    `| process | heap idle | heap after ${result.options.commands} commands | heap after ${2 * result.options.commands} commands (first start) |`,
    '| --- | --- | --- | --- |',
    `| espo-sso web | ${formatSpread(result.espo.idleHeapMiB, ' MiB', 1)} | ${formatSpread(result.espo.loadedHeapMiB, ' MiB', 1)} | ${mebibytes(result.espo.doubleLoadedHeapMiB)} |`,
    `| bare Bolt | ${formatSpread(result.bare.idleHeapMiB, ' MiB', 1)} | ${formatSpread(result.bare.loadedHeapMiB, ' MiB', 1)} | ${mebibytes(result.bare.doubleLoadedHeapMiB)} |`,
  );
  return lines;
}

/** Renders the generated part of BENCHMARKS.md, markers included. */
export function renderResults(results: BenchResults): string {
  const machines = new Map<string, MachineInfo>();
  for (const record of [results.ack, results.apply, results.fleet, results.memory]) {
    if (record) machines.set(JSON.stringify(record.machine), record.machine);
  }
  const lines = [RESULTS_BEGIN, '', '## Results', ''];
  for (const machine of machines.values()) {
    lines.push(`Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, Redis ${machine.redis}.`, '');
  }
  if (results.ack) lines.push(...ackSection(results.ack), '');
  if (results.apply) lines.push(...applySection(results.apply), '');
  if (results.fleet) lines.push(...fleetSection(results.fleet), '');
  if (results.memory) lines.push(...memorySection(results.memory), '');
  lines.push(RESULTS_END);
  return lines.join('\n');
}

/** Replaces the generated part of `document`, or appends it when the markers are missing. */
export function replaceResults(document: string, rendered: string): string {
  const begin = document.indexOf(RESULTS_BEGIN);
  const end = document.indexOf(RESULTS_END);
  if (begin < 0 || end < begin) return `${document.trimEnd()}\n\n${rendered}\n`;
  return `${document.slice(0, begin)}${rendered}${document.slice(end + RESULTS_END.length)}`;
}
