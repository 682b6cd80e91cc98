import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { DEFAULT_ACK_OPTIONS, runAckBenchmark } from './ack';
import { DEFAULT_APPLY_OPTIONS, runApplyBenchmark } from './apply';
import { DEFAULT_FLEET_OPTIONS, runFleetBenchmark } from './fleet';
import { describeMachine, loadAverage } from './lib/machine';
import { REPO_ROOT, installChildCleanup, stopAllChildren } from './lib/processes';
import { DEFAULT_MEMORY_OPTIONS, runMemoryBenchmark } from './memory';
import { type BenchResults, type FigureRecord, renderResults, replaceResults } from './report';

const USAGE = `Usage: npm run bench -- [--only FIGURE[,FIGURE...]] [--quick]

Runs the benchmarks against fake authentik, EspoCRM and Slack servers on 127.0.0.1 and the Redis
at 127.0.0.1:6379, then writes bench/results/latest.json, BENCHMARKS.json and the results section
of BENCHMARKS.md. A run of some figures keeps the other figures' earlier results.

Figures: ack (acknowledgement latency), apply (apply critical path), fleet (fleet rollout),
memory (memory and start-up). Default: all four, about 8 minutes on 2 cores.

Options:
  --only FIGURES   Run only these figures, comma-separated; may be repeated
  --quick          Reduced counts, for a smoke test; writes bench/results/quick.json only
  --render         Run nothing; rewrite the results section of BENCHMARKS.md from BENCHMARKS.json
  -h, --help       Show this text`;

const FIGURES = ['ack', 'apply', 'fleet', 'memory'] as const;
type Figure = (typeof FIGURES)[number];

const RESULTS_DIRECTORY = path.join(REPO_ROOT, 'bench', 'results');
const COMMITTED_JSON = path.join(REPO_ROOT, 'BENCHMARKS.json');
const DOCUMENT = path.join(REPO_ROOT, 'BENCHMARKS.md');

function log(line: string): void {
  console.log(line);
}

function parseFigures(values: string[] | undefined): Figure[] {
  if (!values || values.length === 0) return [...FIGURES];
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!(FIGURES as readonly string[]).includes(name)) throw new Error(`Unknown figure "${name}". Use one of ${FIGURES.join(', ')}.`);
  }
  return FIGURES.filter((figure) => names.includes(figure));
}

function readPrevious(): BenchResults {
  if (!existsSync(COMMITTED_JSON)) return {};
  return JSON.parse(readFileSync(COMMITTED_JSON, 'utf8')) as BenchResults;
}

async function measure<T>(quick: boolean, work: () => Promise<T>): Promise<FigureRecord<T>> {
  const machine = await describeMachine();
  const start = loadAverage();
  const takenAt = new Date().toISOString();
  const started = performance.now();
  const result = await work();
  return {
    takenAt,
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    machine,
    loadAverage: { start, end: loadAverage() },
    quick,
    result,
  };
}

async function runFigure(figure: Figure, quick: boolean, results: BenchResults): Promise<void> {
  switch (figure) {
    case 'ack': {
      const options = quick ? { ...DEFAULT_ACK_OPTIONS, batches: 2, batchSize: 100, warmup: 50, slowSlackBatches: 2, slowSlackBatchSize: 10 } : DEFAULT_ACK_OPTIONS;
      results.ack = await measure(quick, () => runAckBenchmark(options, log));
      return;
    }
    case 'apply': {
      const options = quick ? { ...DEFAULT_APPLY_OPTIONS, runs: 2 } : DEFAULT_APPLY_OPTIONS;
      results.apply = await measure(quick, () => runApplyBenchmark(options, log));
      return;
    }
    case 'fleet': {
      const options = quick
        ? { ...DEFAULT_FLEET_OPTIONS, instances: 16, repeats: 1, rateLimited: { concurrency: 16, perSecond: 20 } }
        : DEFAULT_FLEET_OPTIONS;
      results.fleet = await measure(quick, () => runFleetBenchmark(options, log));
      return;
    }
    case 'memory': {
      const options = quick ? { ...DEFAULT_MEMORY_OPTIONS, starts: 2, loadedStarts: 1, commands: 300, idleMs: 500 } : DEFAULT_MEMORY_OPTIONS;
      results.memory = await measure(quick, () => runMemoryBenchmark(options, log));
      return;
    }
  }
}

function writeOutputs(results: BenchResults, quick: boolean): void {
  mkdirSync(RESULTS_DIRECTORY, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (quick) {
    writeFileSync(path.join(RESULTS_DIRECTORY, 'quick.json'), json);
    log(`Wrote bench/results/quick.json (--quick leaves BENCHMARKS.md and BENCHMARKS.json as they are).`);
    return;
  }
  writeFileSync(path.join(RESULTS_DIRECTORY, 'latest.json'), json);
  writeFileSync(COMMITTED_JSON, json);
  const document = existsSync(DOCUMENT) ? readFileSync(DOCUMENT, 'utf8') : '# Benchmarks\n';
  writeFileSync(DOCUMENT, replaceResults(document, renderResults(results)));
  log('Wrote bench/results/latest.json, BENCHMARKS.json and the results section of BENCHMARKS.md.');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    log(USAGE);
    return 0;
  }
  if (values.render) {
    const document = existsSync(DOCUMENT) ? readFileSync(DOCUMENT, 'utf8') : '# Benchmarks\n';
    writeFileSync(DOCUMENT, replaceResults(document, renderResults(readPrevious())));
    log('Rewrote the results section of BENCHMARKS.md from BENCHMARKS.json.');
    return 0;
  }
  const figures = parseFigures(values.only);
  const quick = values.quick ?? false;
  installChildCleanup();

  const results = quick ? {} : readPrevious();
  const started = performance.now();
  let failures = 0;
  try {
    for (const figure of figures) {
      log(`bench: ${figure}`);
      const figureStarted = performance.now();
      try {
        await runFigure(figure, quick, results);
        log(`bench: ${figure} finished in ${((performance.now() - figureStarted) / 1000).toFixed(0)} s`);
      } catch (error) {
        failures += 1;
        console.error(`bench: ${figure} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
  } finally {
    await stopAllChildren();
  }
  writeOutputs(results, quick);
  log(`bench: ${figures.length - failures} of ${figures.length} figures in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
