import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Child processes of a benchmark run. Every child is registered, so that a failed run, Ctrl-C or
 * an uncaught error still ends it: `stop()` sends SIGTERM and then SIGKILL, and the exit hook
 * SIGKILLs whatever is left.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Kept output of a child, for error messages. */
const OUTPUT_LIMIT = 16 * 1024;

export interface ChildHandle {
  name: string;
  pid: number;
  process: ChildProcess;
  /** performance.now() just before spawn. */
  spawnedAt: number;
  /** The last 16 KiB of standard output and standard error. */
  output(): string;
  /** Whether the child has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<ChildHandle>();
const interruptCleanups = new Set<() => Promise<void>>();
let cleanupInstalled = false;

/** How long an interrupted bench waits for its clean-ups (Redis keys, fakes) before it exits. */
const INTERRUPT_CLEANUP_MS = 5000;

/** Registers work to run when the bench is interrupted, e.g. deleting a run's Redis keys; returns its removal. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  interruptCleanups.add(cleanup);
  return () => {
    interruptCleanups.delete(cleanup);
  };
}

/** SIGKILLs every registered child that still runs; safe to call from an exit hook. */
export function killAllChildren(): void {
  for (const child of children) {
    if (!child.exited()) child.process.kill('SIGKILL');
  }
}

/**
 * Ends the children when the benchmark process exits or is interrupted. On SIGINT or SIGTERM it
 * also runs the registered clean-ups, for at most 5 seconds, before it exits with code 130.
 */
export function installChildCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal} received, stopping child processes and deleting this run's Redis keys`);
      killAllChildren();
      const deadline = new Promise((resolve) => setTimeout(resolve, INTERRUPT_CLEANUP_MS).unref());
      void Promise.race([Promise.allSettled([...interruptCleanups].map((cleanup) => cleanup())), deadline]).finally(() => process.exit(130));
    });
  }
}

/** Stops every registered child that still runs. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
}

/** Starts `node <args>` in the repository root with `env` as its whole environment. */
export function spawnNode(name: string, args: string[], env: NodeJS.ProcessEnv): ChildHandle {
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  if (child.pid === undefined) throw new Error(`could not start ${name}: node ${args.join(' ')}`);
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const handle: ChildHandle = {
    name,
    pid: child.pid,
    process: child,
    spawnedAt,
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: async (graceMs = 10_000) => {
      if (!handle.exited()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      }
      children.delete(handle);
    },
  };
  children.add(handle);
  return handle;
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 1000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/**
 * Polls `url` every `intervalMs` until it returns 200 and returns performance.now() of that
 * response. Fails when the child exits or `timeoutMs` passes.
 */
export async function waitForHttp200(child: ChildHandle, url: string, timeoutMs = 30_000, intervalMs = 5): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.exited()) throw new Error(`${child.name} exited before ${url} returned 200. Its output:\n${child.output()}`);
    if ((await getStatus(url)) === 200) return performance.now();
    if (performance.now() > deadline) {
      throw new Error(`${child.name}: ${url} did not return 200 within ${timeoutMs} ms. Its output:\n${child.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Returns the resident set size of a process in MiB, from VmRSS in /proc/<pid>/status (Linux only). */
export function readRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(match[1]) / 1024;
}

/** NODE_OPTIONS that preload bench/lib/heap-probe.ts; see readLiveHeapMiB. */
export const HEAP_PROBE_NODE_OPTIONS = `--expose-gc --require tsx/cjs --require ${path.join(REPO_ROOT, 'bench', 'lib', 'heap-probe.ts')}`;

/**
 * Asks a child started with HEAP_PROBE_NODE_OPTIONS to collect garbage and returns its live heap
 * in MiB, read from the line the probe writes to standard error.
 */
export async function readLiveHeapMiB(child: ChildHandle, timeoutMs = 5000): Promise<number> {
  const pattern = /heap-probe heapUsedMiB=([\d.]+)/g;
  const before = [...child.output().matchAll(pattern)].length;
  child.process.kill('SIGUSR2');
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const matches = [...child.output().matchAll(pattern)];
    if (matches.length > before) return Number(matches.at(-1)?.[1]);
    if (performance.now() > deadline) throw new Error(`${child.name} did not report its heap within ${timeoutMs} ms; was it started with the heap probe?`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Returns the CPU time a process has used so far, user plus system, in seconds (Linux only). */
export function readCpuSeconds(pid: number, ticksPerSecond = 100): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in parentheses may contain spaces, so fields are counted after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return (userTicks + systemTicks) / ticksPerSecond;
}
