import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { parse } from 'yaml';

import { startSandbox } from '../../sandbox/world';
import { ROOT, SHARED_REDIS_URL, deleteKeys, freePort, httpGet, uniquePrefix, waitFor, writeConfigFile } from './helpers';

/**
 * No Docker engine runs in the tests, so this file checks what can be checked without one: the
 * paths the Dockerfile and docker-compose.yml name exist, the build stage's steps compile with
 * only the files that stage copies, and the runtime stage's layout (production dependencies,
 * bin/ and dist/, no src/ and no tsx) starts, passes the HEALTHCHECK command and stops cleanly.
 */

jest.setTimeout(240_000);

/** One Dockerfile instruction, with continuation lines joined. */
interface Instruction {
  keyword: string;
  args: string;
  stage: string;
}

function readDockerfile(): Instruction[] {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const instructions: Instruction[] = [];
  let stage = '';
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [keyword = '', ...rest] = trimmed.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? '';
    instructions.push({ keyword: keyword.toUpperCase(), args, stage });
  }
  return instructions;
}

/** Source paths of the `COPY` instructions of `stage` that copy from the build context. */
function contextCopies(instructions: Instruction[], stage: string): string[] {
  return instructions
    .filter((instruction) => instruction.stage === stage && instruction.keyword === 'COPY' && !instruction.args.startsWith('--from'))
    .flatMap((instruction) => instruction.args.split(/\s+/).slice(0, -1));
}

/** `ENV` values of a stage, from `ENV KEY=value KEY2=value2`. */
function environment(instructions: Instruction[], stage: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const instruction of instructions.filter((candidate) => candidate.stage === stage && candidate.keyword === 'ENV')) {
    for (const pair of instruction.args.split(/\s+/)) {
      const [key, ...value] = pair.split('=');
      if (key) values[key] = value.join('=');
    }
  }
  return values;
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output: chunks.join('') }));
  });
}

/**
 * Links the packages `npm ci --omit=dev` would install: the top-level entries of package-lock.json
 * not marked `dev`. Links keep the test from copying node_modules.
 */
function linkProductionModules(target: string): string[] {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const linked: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || key.slice('node_modules/'.length).includes('node_modules/') || entry.dev) continue;
    const name = key.slice('node_modules/'.length);
    const destination = path.join(target, 'node_modules', name);
    mkdirSync(path.dirname(destination), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', name), destination, 'dir');
    linked.push(name);
  }
  return linked;
}

describe('container files', () => {
  const instructions = readDockerfile();
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { build?: string; command?: string[]; env_file?: string | string[]; environment?: Record<string, string>; volumes?: string[]; stop_grace_period?: string }>;
  };
  const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
  let workspace = '';

  beforeAll(() => {
    workspace = mkdtempSync(path.join(os.tmpdir(), 'espo-sso-container-'));
  });

  afterAll(() => {
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('Dockerfile stages and entry point', () => {
    const stages = instructions.filter((instruction) => instruction.keyword === 'FROM').map((instruction) => instruction.stage);
    expect(stages).toEqual(['build', 'runtime']);

    const runs = (stage: string): string[] => instructions.filter((instruction) => instruction.stage === stage && instruction.keyword === 'RUN').map((instruction) => instruction.args);
    expect(runs('build')).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']));
    expect(runs('runtime').some((command) => /^npm ci --omit=dev\b/.test(command))).toBe(true);

    const last = (keyword: string): string | undefined => instructions.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual(['node', 'bin/espo-sso.js']);
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual(['serve']);
    expect(last('EXPOSE')).toBe('3000');
    expect(last('USER')).toBe('node');
    expect(last('HEALTHCHECK')).toContain('/healthz');
  });

  test('Dockerfile copies existing paths', () => {
    const copies = [...contextCopies(instructions, 'build'), ...contextCopies(instructions, 'runtime')];

    expect(copies).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.build.json', 'src', 'bin']));
    for (const source of copies) expect({ source, exists: existsSync(path.join(ROOT, source)) }).toEqual({ source, exists: true });
    expect(packageJson.scripts.build).toBe('tsc -p tsconfig.build.json');
    expect(packageJson.bin['espo-sso']).toBe('bin/espo-sso.js');
  });

  test('.dockerignore keeps secrets out', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());

    for (const entry of ['.env', 'espo-sso.yml', 'node_modules', 'dist', '.git']) expect(ignored).toContain(entry);
  });

  test('compose mounts the configuration read-only', () => {
    const bot = compose.services.bot;
    const redis = compose.services.redis;
    if (!bot || !redis) throw new Error('docker-compose.yml needs the services "bot" and "redis"');
    const configPath = environment(instructions, 'runtime').ESPO_SSO_CONFIG;

    expect(bot.build).toBe('.');
    expect([bot.env_file].flat()).toEqual(['.env']);
    expect(bot.command?.length).toBe(1);
    expect(['serve', 'web', 'worker']).toContain(bot.command?.[0]);
    expect(bot.environment?.ESPO_SSO_CONFIG).toBe(configPath);
    expect(bot.volumes).toContain(`./espo-sso.yml:${configPath}:ro`);
    // The mounted file is the operator's copy of the example, which .gitignore keeps out of git.
    expect(existsSync(path.join(ROOT, 'espo-sso.example.yml'))).toBe(true);
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('espo-sso.yml');
    expect(Number.parseInt(bot.stop_grace_period ?? '0', 10)).toBeGreaterThan(30);

    expect(redis.command).toEqual(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
  });

  test('build stage compiles and runtime stage runs', async () => {
    // Build stage: only the files it copies, plus the installed dependencies.
    const context = path.join(workspace, 'build');
    mkdirSync(context);
    for (const source of contextCopies(instructions, 'build')) cpSync(path.join(ROOT, source), path.join(context, source), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(context, 'node_modules'), 'dir');
    const build = await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: context });
    expect({ code: build.code, output: build.output }).toEqual({ code: 0, output: '' });
    expect(existsSync(path.join(context, 'dist', 'src', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(path.join(context, packageJson.scripts.start?.split(' ')[1] ?? 'missing'))).toBe(true);

    // Runtime stage: package files, production dependencies, bin/ and the build stage's dist/.
    const runtime = path.join(workspace, 'runtime');
    mkdirSync(runtime);
    for (const source of contextCopies(instructions, 'runtime')) cpSync(path.join(ROOT, source), path.join(runtime, source), { recursive: true });
    cpSync(path.join(context, 'dist'), path.join(runtime, 'dist'), { recursive: true });
    const linked = linkProductionModules(runtime);
    expect(linked).toContain('bullmq');
    expect(linked).not.toContain('tsx');
    expect(existsSync(path.join(runtime, 'src'))).toBe(false);
    const bin = path.join(runtime, 'bin', 'espo-sso.js');

    const check = spawnSync(process.execPath, [bin, 'check-config'], {
      cwd: runtime,
      env: {
        PATH: process.env.PATH,
        ESPO_SSO_CONFIG: path.join(ROOT, 'espo-sso.example.yml'),
        AUTHENTIK_TOKEN: 'ak-container-test-token-0123456789',
        ESPO_ACME_PASSWORD: 'container-test-password',
        SLACK_BOT_TOKEN: 'xoxb-container-test-token',
        SLACK_SIGNING_SECRET: 'container-test-signing-secret',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
    expect(check.stdout).toContain('is valid.');

    // The worker role loads every runtime module (Bolt is loaded by every role, BullMQ, the clients).
    const prefix = uniquePrefix('container');
    const world = await startSandbox({ redisUrl: SHARED_REDIS_URL, queuePrefix: prefix });
    const config = writeConfigFile(world);
    const port = await freePort();
    const worker = spawn(process.execPath, [bin, 'worker'], {
      cwd: runtime,
      env: { PATH: process.env.PATH, ...config.env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    worker.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    worker.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the compiled worker to answer /readyz', async () => {
        if (worker.exitCode !== null) throw new Error(`the compiled worker exited:\n${output.join('')}`);
        return (await httpGet(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined;
      });

      const healthcheck = JSON.parse(/\bCMD\s+(\[.*\])$/.exec(instructions.find((instruction) => instruction.keyword === 'HEALTHCHECK')?.args ?? '')?.[1] ?? '[]') as string[];
      expect(healthcheck.slice(0, 2)).toEqual(['node', '-e']);
      const probe = (): number | null => spawnSync(process.execPath, healthcheck.slice(1), { env: { PATH: process.env.PATH, PORT: String(port) }, timeout: 10_000 }).status;
      expect(probe()).toBe(0);

      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(probe()).toBe(1);
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await world.stop();
      config.remove();
      await deleteKeys(SHARED_REDIS_URL, prefix);
    }
  });
});
