import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { parse as parseYaml, YAMLParseError } from 'yaml';

import { type EnvSettings, type Env, readEnvSettings } from './env';
import { type ConfigIssue, ConfigError } from './issues';
import {
  type AccessConfig,
  type AuthentikFileConfig,
  type InstanceFileConfig,
  type WorkerConfig,
  fileSchema,
} from './schema';
import { Secret } from './secret';
import { checkRules, issuesFromZod, trimTrailingSlashes } from './validate';

/** Source of a secret, for messages: `environment variable AUTHENTIK_TOKEN` or `file /run/secrets/x`. */
export type SecretSource = { kind: 'env'; name: string } | { kind: 'file'; path: string };

export interface AuthentikConfig extends Omit<AuthentikFileConfig, 'tokenEnv' | 'tokenFile' | 'apiUrl'> {
  /** Public base URL without a trailing slash. */
  url: string;
  /** API base URL without a trailing slash; equals `url` unless configured. */
  apiUrl: string;
  token: Secret;
  tokenSource: SecretSource;
}

export interface InstanceConfig extends Omit<InstanceFileConfig, 'passwordEnv' | 'passwordFile'> {
  /** EspoCRM base URL without a trailing slash. */
  url: string;
  password: Secret;
  passwordSource: SecretSource;
}

export interface SlackConfig {
  botToken: Secret | undefined;
  signingSecret: Secret | undefined;
  appToken: Secret | undefined;
  /** Web API base URL ending in `/`, or undefined for Slack's own. */
  apiUrl: string | undefined;
}

/** The whole validated configuration. Secrets are `Secret` objects that print as "[redacted]". */
export interface Config {
  /** Absolute path of the YAML file it was read from, or a description for in-memory sources. */
  source: string;
  env: Omit<EnvSettings, 'slackBotToken' | 'slackSigningSecret' | 'slackAppToken' | 'slackApiUrl'>;
  slack: SlackConfig;
  authentik: AuthentikConfig;
  access: AccessConfig;
  instances: InstanceConfig[];
  worker: WorkerConfig;
  /** Problems that do not stop the bot, such as an empty approver list. */
  warnings: string[];
}

export interface LoadConfigOptions {
  /** Reads a file as UTF-8; replaced in tests. */
  readFile?: (path: string) => string;
}

/** Reads the YAML file named by ESPO_SSO_CONFIG (default ./espo-sso.yml) and validates it with `env`. */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const envIssues: ConfigIssue[] = [];
  const envSettings = readEnvSettings(env, envIssues);
  const path = resolve(envSettings.configPath);

  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${String(error)})`;
    throw new ConfigError(path, [
      ...envIssues,
      {
        key: 'ESPO_SSO_CONFIG',
        value: path,
        problem: `names a file that ${reason}`,
        fix: 'copy espo-sso.example.yml to espo-sso.yml, or point ESPO_SSO_CONFIG at your file',
      },
    ]);
  }

  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ConfigError(path, [
      ...envIssues,
      {
        key: '(file)',
        problem: `is not valid YAML${where}: ${error instanceof Error ? (error.message.split('\n')[0] ?? '').replace(/[:.\s]+$/, '') : String(error)}`,
        fix: 'correct the YAML syntax',
      },
    ]);
  }
  return parseConfig(raw, env, { source: path, readFile, envIssues });
}

/** Validates an already parsed configuration document; `loadConfig` reads and parses the file first. */
export function parseConfig(
  raw: unknown,
  env: Env,
  options: { source?: string; readFile?: (path: string) => string; envIssues?: ConfigIssue[] } = {},
): Config {
  const source = options.source ?? 'configuration';
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const issues: ConfigIssue[] = [...(options.envIssues ?? [])];
  const envSettings = readEnvSettings(env, options.envIssues ? [] : issues);

  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.push({
      key: '(top level)',
      problem: 'must be a mapping with authentik, access and instances',
      fix: 'start from espo-sso.example.yml',
    });
    throw new ConfigError(source, issues);
  }

  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    issues.push(...issuesFromZod(parsed.error, raw));
    throw new ConfigError(source, issues);
  }
  const file = parsed.data;
  const rules = checkRules(file);
  issues.push(...rules.issues);
  if (issues.length > 0) throw new ConfigError(source, issues);

  const token = resolveSecret(issues, 'authentik', 'token', file.authentik.tokenEnv, file.authentik.tokenFile, env, readFile);
  const instances: InstanceConfig[] = file.instances.map((instance, index) => {
    const password = resolveSecret(
      issues,
      `instances[${index}]`,
      'password',
      instance.passwordEnv,
      instance.passwordFile,
      env,
      readFile,
    );
    const { passwordEnv: _env, passwordFile: _file, ...rest } = instance;
    return { ...rest, url: trimTrailingSlashes(instance.url), password: password.secret, passwordSource: password.source };
  });
  if (issues.length > 0) throw new ConfigError(source, issues);

  const { tokenEnv: _tokenEnv, tokenFile: _tokenFile, apiUrl, ...authentik } = file.authentik;
  const { slackBotToken, slackSigningSecret, slackAppToken, slackApiUrl, ...envRest } = envSettings;
  return {
    source,
    env: envRest,
    slack: {
      botToken: slackBotToken === undefined ? undefined : new Secret(slackBotToken),
      signingSecret: slackSigningSecret === undefined ? undefined : new Secret(slackSigningSecret),
      appToken: slackAppToken === undefined ? undefined : new Secret(slackAppToken),
      apiUrl: slackApiUrl,
    },
    authentik: {
      ...authentik,
      url: trimTrailingSlashes(file.authentik.url),
      apiUrl: trimTrailingSlashes(apiUrl ?? file.authentik.url),
      token: token.secret,
      tokenSource: token.source,
    },
    access: file.access,
    instances,
    worker: file.worker,
    warnings: rules.warnings,
  };
}

function resolveSecret(
  issues: ConfigIssue[],
  prefix: string,
  name: 'token' | 'password',
  envName: string | undefined,
  filePath: string | undefined,
  env: Env,
  readFile: (path: string) => string,
): { secret: Secret; source: SecretSource } {
  if (envName !== undefined) {
    const value = env[envName];
    if (value === undefined || value.trim() === '') {
      issues.push({
        key: `${prefix}.${name}Env`,
        value: envName,
        problem: `names the environment variable ${envName}, which is ${value === undefined ? 'not set' : 'empty'}`,
        fix: `set ${envName} to the ${name} in the bot's environment`,
      });
    }
    return { secret: new Secret((value ?? '').trim()), source: { kind: 'env', name: envName } };
  }
  const path = resolve(filePath ?? '');
  let value = '';
  try {
    value = readFile(path).trim();
    if (value === '') {
      issues.push({
        key: `${prefix}.${name}File`,
        value: path,
        problem: 'names an empty file',
        fix: `write the ${name} into ${path}`,
      });
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    issues.push({
      key: `${prefix}.${name}File`,
      value: path,
      problem: code === 'ENOENT' ? 'names a file that does not exist' : `names a file that cannot be read (${code ?? String(error)})`,
      fix: `create ${path} with the ${name}, readable by the bot's user`,
    });
  }
  return { secret: new Secret(value), source: { kind: 'file', path } };
}

/** Finds an instance by the name a user typed; names are compared in lower case. */
export function findInstance(config: Config, name: string): InstanceConfig | undefined {
  const wanted = name.trim().toLowerCase();
  return config.instances.find((instance) => instance.name === wanted);
}

/** Describes where a secret comes from without showing it. */
export function describeSource(source: SecretSource): string {
  return source.kind === 'env' ? `environment variable ${source.name}` : `file ${source.path}`;
}
