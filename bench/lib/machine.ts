import { readFileSync } from 'node:fs';
import os from 'node:os';

import { Redis } from 'ioredis';

import { REDIS_URL } from './bot-process';

/** The machine a figure was taken on. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  kernel: string;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // /proc/cpuinfo exists on Linux only; os.cpus() is the portable fallback.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

async function redisVersion(): Promise<string> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return /^redis_version:(.+)$/m.exec(await redis.info('server'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unreachable';
  } finally {
    redis.disconnect();
  }
}

/** Describes this machine: CPU model from /proc/cpuinfo, cores, memory, Node, Redis and kernel versions. */
export async function describeMachine(): Promise<MachineInfo> {
  return {
    cpuModel: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    redis: await redisVersion(),
    kernel: os.release(),
  };
}

/** Returns the 1-minute load average. A value above the core count means that processes waited for a CPU. */
export function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}
