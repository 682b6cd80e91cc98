import { parseConfig } from '../../src/config';
import { createLogger } from '../../src/logging/logger';
import { Metrics } from '../../src/metrics/metrics';
import { type BotHandle, startBot } from '../../src/runtime/bot';
import { type SandboxWorld, startSandbox } from '../../sandbox/world';
import { SHARED_REDIS_URL, approve, deleteKeys, httpGet, requestMessageFor, resultReply, sendCommand, uniquePrefix, waitFor } from '../runtime/helpers';

/**
 * GET /metrics after a demo-like run: `/espo-sso setup demo`, an approval and the apply, on one
 * `serve` bot against the fakes. The counters and histograms must have moved accordingly.
 */

jest.setTimeout(60_000);

/** One sample of the Prometheus text format: `name{label="value",...} number`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1] as string] = label[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sums the samples named `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

describe('GET /metrics', () => {
  let world: SandboxWorld;
  let bot: BotHandle | undefined;
  const prefix = uniquePrefix('metrics');

  beforeAll(async () => {
    world = await startSandbox({ redisUrl: SHARED_REDIS_URL, queuePrefix: prefix });
    const config = parseConfig(world.config, { ...world.env, PORT: '0' }, { source: 'metrics test' });
    bot = await startBot({ config, role: 'serve', logger: createLogger({ level: 'silent' }), port: 0, host: '127.0.0.1', metrics: new Metrics() });
  });

  afterAll(async () => {
    await bot?.stop();
    await world?.stop();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  test('series move with a setup', async () => {
    const url = bot?.url ?? '';
    const before = parseExposition((await httpGet(`${url}/metrics`)).body);
    expect(total(before, 'espo_sso_commands_total')).toBe(0);

    expect((await sendCommand(url, 'setup demo')).status).toBe(200);
    expect((await sendCommand(url, 'help')).status).toBe(200);
    const request = await waitFor('the request message', () => requestMessageFor(world, 'demo'));
    expect((await approve(url, world, request)).status).toBe(200);
    const result = await waitFor('the result reply', () => resultReply(world, request));
    expect(result.text).toBe('setup demo: done');

    // The apply job records its duration when it returns, just after it posted the result.
    const response = await waitFor('the apply job duration', async () => {
      const candidate = await httpGet(`${url}/metrics`);
      return total(parseExposition(candidate.body), 'espo_sso_job_duration_seconds_count', { job: 'apply' }) > 0 ? candidate : undefined;
    });
    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = parseExposition(response.body);

    expect(total(after, 'espo_sso_commands_total', { command: 'setup', outcome: 'accepted' })).toBe(1);
    expect(total(after, 'espo_sso_commands_total', { command: 'help', outcome: 'help' })).toBe(1);
    expect(total(after, 'espo_sso_approvals_total', { decision: 'approved' })).toBe(1);
    expect(total(after, 'espo_sso_applies_total', { outcome: 'succeeded' })).toBe(1);
    expect(total(after, 'espo_sso_job_duration_seconds_count', { job: 'plan', outcome: 'completed' })).toBe(1);
    expect(total(after, 'espo_sso_job_duration_seconds_count', { job: 'apply', outcome: 'completed' })).toBe(1);
    expect(total(after, 'espo_sso_job_duration_seconds_sum', { job: 'apply' })).toBeGreaterThan(0);

    // Upstream calls carry the system and the HTTP status code; the provider was created with 201.
    const upstream = 'espo_sso_upstream_request_duration_seconds_count';
    expect(total(after, upstream, { system: 'authentik', method: 'POST', status: '201' })).toBeGreaterThanOrEqual(1);
    expect(total(after, upstream, { system: 'espocrm', method: 'PUT', status: '200' })).toBe(1);
    expect(total(after, upstream, { system: 'espocrm' })).toBe(world.instances[0]?.espocrm.server.requests.length);
    for (const sample of after.filter((candidate) => candidate.name === upstream)) {
      expect(sample.labels.route).not.toMatch(/\/\d+\//);
    }
  });

  test('process series are present', async () => {
    const samples = parseExposition((await httpGet(`${bot?.url}/metrics`)).body);
    const names = new Set(samples.map((sample) => sample.name));

    for (const name of ['process_cpu_user_seconds_total', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(names).toContain(name);
    }
  });
});
