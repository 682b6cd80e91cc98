import { Writable } from 'node:stream';

import { type AuthentikVersion, FakeAuthentik, type SeedKeys } from '../../sandbox/authentik';
import { type RecordedRequest } from '../../sandbox/common/fake-server';
import { type EspoMode, FakeEspoCrm } from '../../sandbox/espocrm';
import { type Config, type InstanceConfig, parseConfig } from '../../src/config';
import { type UpstreamCall } from '../../src/http/observer';
import { createLogger, type Logger } from '../../src/logging/logger';
import { createContext, type ProvisioningContext } from '../../src/provisioning';

/**
 * Both fakes on 127.0.0.1 and a Config that points at them. authentik's public `url` is a
 * made-up https URL while `apiUrl` is the fake's loopback URL, so a test can prove that only the
 * public URL reaches EspoCRM.
 */

export const AUTHENTIK_TOKEN = 'ak-provisioning-token-3f9c2a71d8e4b605';
export const ESPO_USER = 'sso-bot';
export const ESPO_PASSWORD = 'espo-admin-password-8d1e4c07b2';
export const PUBLIC_AUTHENTIK_URL = 'https://auth.example.com';
export const SLUG = 'espocrm-acme';
export const APPLICATION_NAME = 'EspoCRM (acme)';
export const INSTANCE = 'acme';

/** Environment that contains the secrets the configuration names. */
export const ENV = {
  AUTHENTIK_TOKEN,
  ESPO_ACME_PASSWORD: ESPO_PASSWORD,
};

export const AUTHENTIK_VERSIONS: readonly AuthentikVersion[] = ['2024.10.3', '2025.10', '2026.8'];
export const ESPO_MODES: readonly EspoMode[] = ['8.4', '10.0'];

/** Every pairing of authentik version and EspoCRM mode, for `test.each`. */
export const ALL_PAIRS: Array<[AuthentikVersion, EspoMode]> = AUTHENTIK_VERSIONS.flatMap((version) =>
  ESPO_MODES.map((mode): [AuthentikVersion, EspoMode] => [version, mode]),
);

export interface SystemsOptions {
  authentikVersion?: AuthentikVersion;
  espoMode?: EspoMode;
  keys?: SeedKeys;
  /** Appended to the fake EspoCRM's URL in the instance's `url`, e.g. `/`. */
  instanceUrlSuffix?: string;
  /** Stored as EspoCRM's siteUrl instead of its own base URL, e.g. with a trailing slash. */
  siteUrlSuffix?: string;
  /** The instance's `options` block. */
  options?: Record<string, unknown>;
  /** Extra keys of the `authentik` block, e.g. `subjectMode`. */
  authentik?: Record<string, unknown>;
  /** Type of the EspoCRM user the bot signs in as. */
  userType?: 'admin' | 'regular';
  twoFactor?: boolean;
  /** Teams created in EspoCRM before the run. */
  teams?: string[];
  /** Added to every response of both fakes, in milliseconds. */
  latencyMs?: number;
  /** Timeout of each EspoCRM call; default 10 s. */
  espoTimeoutSeconds?: number;
}

/** A log destination that keeps every line. */
export interface CapturedLogs {
  logger: Logger;
  lines: string[];
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger({ level: 'trace', destination }), lines };
}

/** One upstream call with the time it started and ended, in milliseconds since the epoch. */
export interface TimedCall extends UpstreamCall {
  startedAt: number;
  endedAt: number;
}

export class Systems {
  readonly authentik: FakeAuthentik;
  readonly espocrm: FakeEspoCrm;
  readonly logs: CapturedLogs;
  readonly calls: TimedCall[] = [];
  config!: Config;
  instance!: InstanceConfig;

  constructor(private options: SystemsOptions) {
    this.authentik = new FakeAuthentik({
      version: options.authentikVersion ?? '2026.8',
      token: AUTHENTIK_TOKEN,
      keys: options.keys ?? 'rsa',
      latencyMs: options.latencyMs,
    });
    this.espocrm = new FakeEspoCrm({ mode: options.espoMode ?? '10.0', latencyMs: options.latencyMs });
    this.logs = captureLogs();
  }

  async start(): Promise<this> {
    await this.authentik.start();
    const espoUrl = await this.espocrm.start();
    if (this.options.siteUrlSuffix !== undefined) {
      this.espocrm.setSettings({ siteUrl: `${espoUrl}${this.options.siteUrlSuffix}` });
    }
    this.espocrm.addUser({
      userName: ESPO_USER,
      password: ESPO_PASSWORD,
      type: this.options.userType ?? 'admin',
      twoFactor: this.options.twoFactor ?? false,
    });
    for (const team of this.options.teams ?? []) this.espocrm.addTeam(team);
    this.buildConfig();
    return this;
  }

  /** Rebuilds the configuration with other settings, as an operator editing the YAML file would. */
  reconfigure(changes: Pick<SystemsOptions, 'authentik' | 'options'>): void {
    this.options = { ...this.options, ...changes };
    this.buildConfig();
  }

  private buildConfig(): void {
    this.config = parseConfig(this.rawConfig(), ENV);
    const instance = this.config.instances[0];
    if (!instance) throw new Error('the test configuration has no instance');
    this.instance = instance;
  }

  async stop(): Promise<void> {
    await Promise.all([this.authentik.stop(), this.espocrm.stop()]);
  }

  /** Returns the configuration document, as a YAML file would contain it. */
  rawConfig(): Record<string, unknown> {
    return {
      authentik: {
        url: PUBLIC_AUTHENTIK_URL,
        apiUrl: this.authentik.url,
        allowHttp: true,
        tokenEnv: 'AUTHENTIK_TOKEN',
        timeoutSeconds: 10,
        ...(this.options.authentik ?? {}),
      },
      instances: [
        {
          name: INSTANCE,
          url: `${this.espocrm.url}${this.options.instanceUrlSuffix ?? ''}`,
          username: ESPO_USER,
          passwordEnv: 'ESPO_ACME_PASSWORD',
          application: { slug: SLUG, name: APPLICATION_NAME },
          options: this.options.options ?? {},
          timeoutSeconds: this.options.espoTimeoutSeconds ?? 10,
        },
      ],
    };
  }

  /** Creates a fresh context, as one CLI run or one job does. */
  context(): ProvisioningContext {
    return createContext(this.config, this.instance, {
      logger: this.logs.logger,
      observer: (call) => {
        const endedAt = Date.now();
        this.calls.push({ ...call, startedAt: endedAt - call.durationMs, endedAt });
      },
    });
  }

  /** Returns every request both fakes received, in arrival order per fake. */
  requests(): RecordedRequest[] {
    return [...this.authentik.server.requests, ...this.espocrm.server.requests];
  }

  /**
   * Requests that change something: POST, PUT, PATCH and DELETE. Revoking the run's own EspoCRM
   * token (`POST /api/v1/App/destroyAuthToken`) changes no configuration, so it is left out.
   */
  writeRequests(): RecordedRequest[] {
    return this.requests().filter(
      (request) => request.method !== 'GET' && request.path !== '/api/v1/App/destroyAuthToken',
    );
  }

  /** Changes a provider through authentik's API, as an administrator editing it by hand would. */
  async patchProvider(pk: number, body: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${this.authentik.url}/api/v3/providers/oauth2/${pk}/`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${AUTHENTIK_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`PATCH provider ${pk} returned ${response.status}: ${await response.text()}`);
  }

  /** What EspoCRM's Settings endpoint returns to a visitor who is not signed in. */
  async publicSettings(): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.espocrm.url}/api/v1/Settings`);
    return (await response.json()) as Record<string, unknown>;
  }

  /** Empties both request logs and the observed calls, so a test can look at one run. */
  clearRequests(): void {
    this.authentik.server.requests.length = 0;
    this.espocrm.server.requests.length = 0;
    this.calls.length = 0;
  }
}

/** Starts both fakes and builds the configuration. */
export async function startSystems(options: SystemsOptions = {}): Promise<Systems> {
  return new Systems(options).start();
}

/**
 * Counts the sequential rounds in `calls`: the longest chain of calls where each starts after
 * the one before it ended. Calls sent at once overlap, so they count as one round.
 */
export function countRounds(calls: readonly TimedCall[]): number {
  const sorted = [...calls].sort((a, b) => a.endedAt - b.endedAt);
  const longestEndingAt: number[] = [];
  let longest = 0;
  sorted.forEach((call, index) => {
    let best = 0;
    for (let before = 0; before < index; before += 1) {
      const previous = sorted[before];
      if (previous && previous.endedAt <= call.startedAt) best = Math.max(best, longestEndingAt[before] ?? 0);
    }
    longestEndingAt[index] = best + 1;
    longest = Math.max(longest, best + 1);
  });
  return longest;
}

/** Returns the value and its base64 forms, as a secret could appear in a header or a log line. */
export function secretForms(value: string): string[] {
  return [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url')];
}
