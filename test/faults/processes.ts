import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { stringify } from 'yaml';

import { freePort, redisAnswers } from '../../sandbox/local-services';
import { waitFor } from './wait';

export { freePort };

/**
 * Processes the fault tests start: `espo-sso` roles as child processes and private
 * redis-servers. Every process is tracked so that `stopAllProcesses()` in afterAll ends each one by
 * its own pid, whatever a test left running.
 */

const REPO_ROOT = resolve(__dirname, '..', '..');
const CLI = join(REPO_ROOT, 'bin', 'espo-sso.js');

const started = new Set<ChildProcess>();
const temporaryDirectories = new Set<string>();

/** Writes a configuration document as YAML into a fresh temporary directory and returns the file's path. */
export function writeConfigFile(document: Record<string, unknown>): string {
  const directory = mkdtempSync(join(tmpdir(), 'espo-sso-faults-'));
  temporaryDirectories.add(directory);
  const path = join(directory, 'espo-sso.yml');
  writeFileSync(path, stringify(document), { mode: 0o600 });
  return path;
}

/** A running `node bin/espo-sso.js <role>` with its output kept line by line. */
export class BotProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly role: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        started.delete(child);
        resolveExit({ code, signal });
      });
    });
    collectLines(child.stdout, this.stdout);
    collectLines(child.stderr, this.stderr);
  }

  /**
   * Starts a role with `env` (secrets, REDIS_URL, QUEUE_PREFIX, ...) and the configuration file
   * at `configPath`. Resolves once the process has logged that it started.
   */
  static async start(role: 'serve' | 'web' | 'worker', env: Record<string, string>, configPath: string, timeoutMs = 30_000): Promise<BotProcess> {
    const child = spawn(process.execPath, [CLI, role], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env, ESPO_SSO_CONFIG: configPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.add(child);
    const bot = new BotProcess(role, child);
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void bot.exited.then((result) => {
      exit = result;
    });
    await waitFor(
      `espo-sso ${role} (pid ${child.pid}) to start`,
      () => {
        if (exit) {
          throw new Error(`espo-sso ${role} exited (code ${exit.code}, signal ${exit.signal}) before it started: ${bot.stderr.join('\n')} ${bot.stdout.join('\n')}`);
        }
        return bot.stdout.some((line) => line.includes('"msg":"espo-sso started"')) ? true : undefined;
      },
      timeoutMs,
      50,
    );
    return bot;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a signal and waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** Returns every line the process wrote, standard output first. */
  lines(): string[] {
    return [...this.stdout, ...this.stderr];
  }
}

function collectLines(stream: NodeJS.ReadableStream | null, into: string[]): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    into.push(...parts.filter((part) => part !== ''));
  });
  stream.on('end', () => {
    if (pending !== '') into.push(pending);
  });
}

/**
 * A redis-server of the test's own on a fixed loopback port, without persistence, so a test can
 * stop it (connections are refused), freeze it (SIGSTOP: connections hang, data stays) and bring
 * it back on the same port.
 */
export class PrivateRedis {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(this.port), '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    started.add(child);
    child.once('exit', () => started.delete(child));
    this.process = child;
    await waitFor(
      `redis-server on port ${this.port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} before it answered on port ${this.port}`);
        return (await redisAnswers(this.url, 500)) ? true : undefined;
      },
      10_000,
      50,
    );
  }

  /** Stops the server: new connections are refused and every key is gone. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a fresh, empty server on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Starts the server again if a test stopped it, and thaws it if a test froze it. */
  async ensureRunning(): Promise<void> {
    if (this.process) {
      this.thaw();
      return;
    }
    await this.launch();
  }

  /** Freezes the server: connections stay open but get no response, and no data is lost. */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }
}

/** Ends every process the fault tests started and removes their temporary directories. */
export async function stopAllProcesses(): Promise<void> {
  const waits: Array<Promise<void>> = [];
  for (const child of started) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    waits.push(new Promise<void>((resolveExit) => child.once('exit', () => resolveExit())));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  await Promise.all(waits);
  started.clear();
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
  temporaryDirectories.clear();
}
