import { FakeAuthentik } from './authentik';
import { FakeEspoCrm } from './espocrm';
import { FakeSlack } from './slack';

/** The ids and secrets a sandbox world uses; test values, valid only against the fakes. */
export const SANDBOX = {
  teamId: 'T0SANDBOX',
  channelId: 'C0REQUESTS',
  auditChannelId: 'C0AUDIT',
  requesterId: 'U0REQUESTER',
  approverId: 'U0APPROVER',
  approverGroupId: 'S0APPROVERS',
  groupApproverId: 'U0GROUPAPPROVER',
  outsiderId: 'U0OUTSIDER',
  botToken: 'xoxb-sandbox-bot-token-0000000000',
  signingSecret: 'sandbox-signing-secret-0123456789abcdef',
  authentikToken: 'ak-sandbox-api-token-0123456789abcdef0123456789',
  espoAdmin: 'sso-bot',
  espoPassword: 'Sandbox-EspoCRM-password-42!',
} as const;

export interface SandboxInstance {
  name: string;
  espocrm: FakeEspoCrm;
}

export interface SandboxOptions {
  authentikVersion?: '2024.10.3' | '2025.10' | '2026.8';
  espoMode?: '8.4' | '10.0';
  /** Names of the EspoCRM instances; each gets its own fake. Default ['demo']. */
  instances?: string[];
  /** Added to every fake answer, in milliseconds. */
  latencyMs?: number;
  redisUrl?: string;
  queuePrefix?: string;
  /** Extra keys merged into `access`. */
  access?: Record<string, unknown>;
  /** Extra keys merged into each instance's `options`. */
  instanceOptions?: Record<string, unknown>;
  /** Extra keys merged into `worker`. */
  worker?: Record<string, unknown>;
}

/** Three fakes on 127.0.0.1 and the configuration and environment that point the bot at them. */
export interface SandboxWorld {
  authentik: FakeAuthentik;
  slack: FakeSlack;
  instances: SandboxInstance[];
  /** The configuration document (what espo-sso.yml would hold). */
  config: Record<string, unknown>;
  /** Environment for the bot: secrets, SLACK_API_URL, REDIS_URL, QUEUE_PREFIX, HOST. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts the fake authentik, Slack and one fake EspoCRM per instance, seeded for a demo. */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxWorld> {
  const authentik = new FakeAuthentik({
    version: options.authentikVersion ?? '2026.8',
    token: SANDBOX.authentikToken,
    latencyMs: options.latencyMs,
  });
  const slack = new FakeSlack({
    botToken: SANDBOX.botToken,
    teamId: SANDBOX.teamId,
    latencyMs: options.latencyMs,
    channels: [
      { id: SANDBOX.channelId, name: 'sso-requests' },
      { id: SANDBOX.auditChannelId, name: 'sso-audit' },
    ],
    users: [
      { id: SANDBOX.requesterId, name: 'riley' },
      { id: SANDBOX.approverId, name: 'avery' },
      { id: SANDBOX.groupApproverId, name: 'gale' },
      { id: SANDBOX.outsiderId, name: 'olive' },
    ],
    userGroups: [{ id: SANDBOX.approverGroupId, handle: 'sso-approvers', users: [SANDBOX.groupApproverId] }],
  });
  const names = options.instances ?? ['demo'];
  const instances = names.map((name) => ({
    name,
    espocrm: new FakeEspoCrm({ mode: options.espoMode ?? '10.0', latencyMs: options.latencyMs }),
  }));

  await Promise.all([authentik.start(), slack.start(), ...instances.map((instance) => instance.espocrm.start())]);
  for (const instance of instances) {
    instance.espocrm.addUser({ userName: SANDBOX.espoAdmin, password: SANDBOX.espoPassword, type: 'admin' });
  }

  const env: Record<string, string> = {
    AUTHENTIK_TOKEN: SANDBOX.authentikToken,
    SLACK_BOT_TOKEN: SANDBOX.botToken,
    SLACK_SIGNING_SECRET: SANDBOX.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    REDIS_URL: options.redisUrl ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: options.queuePrefix ?? 'espo-sso-sandbox',
    // The bot's own HTTP server listens on loopback only, like the fakes.
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  for (const instance of instances) env[passwordVariable(instance.name)] = SANDBOX.espoPassword;

  const config: Record<string, unknown> = {
    authentik: {
      url: authentik.url,
      tokenEnv: 'AUTHENTIK_TOKEN',
      scopes: ['openid', 'email', 'profile'],
    },
    access: {
      requesters: [SANDBOX.requesterId],
      approvers: [SANDBOX.approverId, SANDBOX.approverGroupId],
      auditChannel: SANDBOX.auditChannelId,
      ...(options.access ?? {}),
    },
    instances: instances.map((instance) => ({
      name: instance.name,
      url: instance.espocrm.url,
      username: SANDBOX.espoAdmin,
      passwordEnv: passwordVariable(instance.name),
      application: { slug: `espocrm-${instance.name}`, name: `EspoCRM (${instance.name})` },
      options: { fallbackLogin: true, allowAdminOidcLogin: false, createUsers: true, syncUserData: false, ...(options.instanceOptions ?? {}) },
    })),
    ...(options.worker ? { worker: options.worker } : {}),
  };

  return {
    authentik,
    slack,
    instances,
    config,
    env,
    stop: async () => {
      await Promise.all([authentik.stop(), slack.stop(), ...instances.map((instance) => instance.espocrm.stop())]);
    },
  };
}

/** The environment variable that holds an instance's EspoCRM password in a sandbox world. */
export function passwordVariable(instance: string): string {
  return `ESPO_${instance.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`;
}
