import { z } from 'zod';

import { type ConfigIssue } from './issues';

/** The environment variables espo-sso reads, with their defaults. */
export interface EnvSettings {
  /** Path of the YAML configuration. */
  configPath: string;
  redisUrl: string;
  /** Prefix for every Redis key the bot writes (BullMQ queues and request state). */
  queuePrefix: string;
  slackBotToken: string | undefined;
  slackSigningSecret: string | undefined;
  /** App-level token; when set the bot uses Socket Mode instead of HTTP. */
  slackAppToken: string | undefined;
  /** Web API base URL ending in `/`; undefined means Slack's own. */
  slackApiUrl: string | undefined;
  port: number;
  /** Address the HTTP server listens on; undefined means every interface. */
  host: string | undefined;
  logLevel: LogLevel;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Names of the environment variables, the product's public interface. */
export const ENV = {
  configPath: 'ESPO_SSO_CONFIG',
  redisUrl: 'REDIS_URL',
  queuePrefix: 'QUEUE_PREFIX',
  slackBotToken: 'SLACK_BOT_TOKEN',
  slackSigningSecret: 'SLACK_SIGNING_SECRET',
  slackAppToken: 'SLACK_APP_TOKEN',
  slackApiUrl: 'SLACK_API_URL',
  port: 'PORT',
  host: 'HOST',
  logLevel: 'LOG_LEVEL',
} as const;

export type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Reads and checks the environment variables; problems are appended to `issues`. */
export function readEnvSettings(env: Env, issues: ConfigIssue[]): EnvSettings {
  const portText = read(env, ENV.port) ?? '3000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    issues.push({
      key: ENV.port,
      value: portText,
      problem: 'is not a TCP port number',
      fix: 'set it to a whole number from 0 to 65535, or unset it for 3000',
    });
  }

  const host = read(env, ENV.host);
  if (host !== undefined && !/^[A-Za-z0-9.:-]{1,253}$/.test(host)) {
    issues.push({
      key: ENV.host,
      value: host,
      problem: 'is not a host name or IP address',
      fix: 'set it to an address such as 127.0.0.1, 0.0.0.0 or ::, or unset it to listen on every interface',
    });
  }

  const logLevelText = (read(env, ENV.logLevel) ?? 'info').toLowerCase();
  const logLevel = z.enum(LOG_LEVELS).safeParse(logLevelText);
  if (!logLevel.success) {
    issues.push({
      key: ENV.logLevel,
      value: logLevelText,
      problem: 'is not a log level',
      fix: `use one of ${LOG_LEVELS.join(', ')}`,
    });
  }

  const redisUrl = read(env, ENV.redisUrl) ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    issues.push({
      key: ENV.redisUrl,
      value: redisUrl,
      secret: true,
      problem: 'is not a Redis URL',
      fix: 'use redis://host:port or rediss://host:port (user and password go before the host)',
    });
  }

  const queuePrefix = read(env, ENV.queuePrefix) ?? 'espo-sso';
  if (!/^[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}$/.test(queuePrefix)) {
    issues.push({
      key: ENV.queuePrefix,
      value: queuePrefix,
      problem: 'is not a valid key prefix',
      fix: 'use 1 to 64 letters, digits, ":", "_", "." or "-", starting with a letter or digit',
    });
  }

  let slackApiUrl = read(env, ENV.slackApiUrl);
  if (slackApiUrl !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(slackApiUrl)) {
      issues.push({
        key: ENV.slackApiUrl,
        value: slackApiUrl,
        problem: 'is not an http(s) URL',
        fix: 'unset it to use Slack, or set the base URL of a Web API such as http://127.0.0.1:3001/api/',
      });
    } else if (!slackApiUrl.endsWith('/')) {
      slackApiUrl = `${slackApiUrl}/`;
    }
  }

  return {
    configPath: read(env, ENV.configPath) ?? './espo-sso.yml',
    redisUrl,
    queuePrefix,
    slackBotToken: read(env, ENV.slackBotToken),
    slackSigningSecret: read(env, ENV.slackSigningSecret),
    slackAppToken: read(env, ENV.slackAppToken),
    slackApiUrl,
    port,
    host,
    logLevel: logLevel.success ? logLevel.data : 'info',
  };
}
