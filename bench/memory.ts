import http from 'node:http';

import { type BenchWorld, type BotProcess, startBareBolt, startBenchWorld, startBotProcess } from './lib/bot-process';
import { STATUS_COMMAND, sendCommandBatch } from './lib/commands';
import { readLiveHeapMiB, readRssMiB } from './lib/processes';
import { type Spread, round, roundSpread, spread } from './lib/stats';

/**
 * Figure 4, memory and start-up of `espo-sso web` against the bare Bolt app, both started the way
 * a developer starts them: through tsx from the TypeScript sources. Start-up is the time from
 * spawn to the first 200 on /readyz (espo-sso: Redis replies to PING) or /healthz (bare app). Resident
 * memory is VmRSS from /proc/<pid>/status, once idle and once after a series of commands; the
 * first start gets a second series, to tell growth that goes on from a heap that settled. Both
 * children preload bench/lib/heap-probe.ts, which reports the live heap after a full collection.
 */

export interface MemoryOptions {
  /** Measured start-ups of each side; one unmeasured start of each comes first. */
  starts: number;
  /** How many of those starts are followed by the command load. */
  loadedStarts: number;
  commands: number;
  /** Wait after both are ready before the idle reading, in milliseconds. */
  idleMs: number;
}

export const DEFAULT_MEMORY_OPTIONS: MemoryOptions = { starts: 5, loadedStarts: 3, commands: 2000, idleMs: 2000 };

export interface SideMemory {
  readyMs: Spread;
  idleRssMiB: Spread;
  loadedRssMiB: Spread;
  /** RSS after twice the commands, from the first loaded start only: growth that goes on with the load. */
  doubleLoadedRssMiB: number | undefined;
  /** Live heap after two full garbage collections: idle, after the commands, and after twice the commands (first start). */
  idleHeapMiB: Spread;
  loadedHeapMiB: Spread;
  doubleLoadedHeapMiB: number | undefined;
}

export interface MemoryResult {
  options: MemoryOptions;
  espo: SideMemory;
  bare: SideMemory;
  /** espo-sso divided by the bare app, per start. */
  ratio: { readyMs: Spread; idleRssMiB: Spread; loadedRssMiB: Spread };
}

type Side = 'espo' | 'bare';

interface Sample {
  readyMs: number;
  idleRssMiB: number;
  loadedRssMiB: number | undefined;
  doubleLoadedRssMiB: number | undefined;
  idleHeapMiB: number;
  loadedHeapMiB: number | undefined;
  doubleLoadedHeapMiB: number | undefined;
}

function roundOptional(value: number | undefined): number | undefined {
  return value === undefined ? undefined : round(value, 1);
}

function start(bench: BenchWorld, side: Side): Promise<BotProcess> {
  return side === 'espo' ? startBotProcess(bench, 'web', { heapProbe: true }) : startBareBolt(bench, { heapProbe: true });
}

async function measureStart(bench: BenchWorld, options: MemoryOptions, load: 'none' | 'single' | 'double', order: Side[]): Promise<Record<Side, Sample>> {
  const bots: Partial<Record<Side, BotProcess>> = {};
  try {
    for (const side of order) bots[side] = await start(bench, side);
    await new Promise((resolve) => setTimeout(resolve, options.idleMs));
    const samples = {} as Record<Side, Sample>;
    for (const side of order) {
      const bot = bots[side] as BotProcess;
      // RSS is read before the probe's forced collection, which would shrink it.
      const idleRssMiB = readRssMiB(bot.child.pid);
      samples[side] = {
        readyMs: bot.readyMs,
        idleRssMiB,
        loadedRssMiB: undefined,
        doubleLoadedRssMiB: undefined,
        idleHeapMiB: await readLiveHeapMiB(bot.child),
        loadedHeapMiB: undefined,
        doubleLoadedHeapMiB: undefined,
      };
    }
    const rounds = { none: 0, single: 1, double: 2 }[load];
    for (let round = 1; round <= rounds; round += 1) {
      for (const side of order) {
        const bot = bots[side] as BotProcess;
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const batch = await sendCommandBatch(bot.url, agent, STATUS_COMMAND, options.commands, side === 'espo');
        agent.destroy();
        if (batch.errors > 0) throw new Error(`${bot.child.name}: ${batch.errors} of ${options.commands} commands got an unexpected response`);
        const rssMiB = readRssMiB(bot.child.pid);
        const heapMiB = await readLiveHeapMiB(bot.child);
        if (round === 1) Object.assign(samples[side], { loadedRssMiB: rssMiB, loadedHeapMiB: heapMiB });
        else Object.assign(samples[side], { doubleLoadedRssMiB: rssMiB, doubleLoadedHeapMiB: heapMiB });
      }
    }
    return samples;
  } finally {
    for (const bot of Object.values(bots)) await bot.child.stop();
  }
}

/** Runs figure 4. */
export async function runMemoryBenchmark(options: MemoryOptions, log: (line: string) => void): Promise<MemoryResult> {
  const bench = await startBenchWorld('memory', { instances: ['demo'], latencyMs: 0 });
  try {
    // Fills tsx's transform cache, so that no measured start compiles the sources.
    await measureStart(bench, { ...options, idleMs: 0 }, 'none', ['espo', 'bare']);
    const samples: Array<Record<Side, Sample>> = [];
    for (let index = 0; index < options.starts; index += 1) {
      const order: Side[] = index % 2 === 0 ? ['espo', 'bare'] : ['bare', 'espo'];
      let load: 'none' | 'single' | 'double' = 'none';
      if (index === 0) load = 'double';
      else if (index < options.loadedStarts) load = 'single';
      const sample = await measureStart(bench, options, load, order);
      samples.push(sample);
      const loaded = (side: Side): string => {
        const { loadedRssMiB, doubleLoadedRssMiB } = sample[side];
        const single = loadedRssMiB === undefined ? '' : `, ${loadedRssMiB.toFixed(1)} MiB after ${options.commands} commands`;
        return doubleLoadedRssMiB === undefined ? single : `${single}, ${doubleLoadedRssMiB.toFixed(1)} MiB after ${2 * options.commands}`;
      };
      log(
        `  memory start ${index + 1}/${options.starts}: espo-sso ready in ${sample.espo.readyMs.toFixed(0)} ms, ${sample.espo.idleRssMiB.toFixed(1)} MiB idle${loaded('espo')}; ` +
          `bare ready in ${sample.bare.readyMs.toFixed(0)} ms, ${sample.bare.idleRssMiB.toFixed(1)} MiB idle${loaded('bare')}`,
      );
    }
    const summarizeSide = (side: Side): SideMemory => ({
      readyMs: roundSpread(spread(samples.map((sample) => sample[side].readyMs)), 0),
      idleRssMiB: roundSpread(spread(samples.map((sample) => sample[side].idleRssMiB)), 1),
      loadedRssMiB: roundSpread(spread(samples.flatMap((sample) => (sample[side].loadedRssMiB === undefined ? [] : [sample[side].loadedRssMiB as number]))), 1),
      doubleLoadedRssMiB: roundOptional(samples[0]?.[side].doubleLoadedRssMiB),
      idleHeapMiB: roundSpread(spread(samples.map((sample) => sample[side].idleHeapMiB)), 1),
      loadedHeapMiB: roundSpread(spread(samples.flatMap((sample) => (sample[side].loadedHeapMiB === undefined ? [] : [sample[side].loadedHeapMiB as number]))), 1),
      doubleLoadedHeapMiB: roundOptional(samples[0]?.[side].doubleLoadedHeapMiB),
    });
    const ratioOf = (read: (sample: Sample) => number | undefined): Spread =>
      roundSpread(
        spread(
          samples.flatMap((sample) => {
            const espo = read(sample.espo);
            const bare = read(sample.bare);
            return espo === undefined || bare === undefined ? [] : [espo / bare];
          }),
        ),
        2,
      );
    return {
      options,
      espo: summarizeSide('espo'),
      bare: summarizeSide('bare'),
      ratio: {
        readyMs: ratioOf((sample) => sample.readyMs),
        idleRssMiB: ratioOf((sample) => sample.idleRssMiB),
        loadedRssMiB: ratioOf((sample) => sample.loadedRssMiB),
      },
    };
  } finally {
    await bench.stop();
  }
}
