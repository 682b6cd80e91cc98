import { type z } from 'zod';

import { type ConfigIssue } from './issues';
import { type FileConfig } from './schema';

/** Key names that suggest a secret was written into the file itself. */
const SECRET_KEY = /(password|secret|token|apikey|api_key|credential)$/i;

/** Slugs that authentik's OAuth2 URLs use themselves. */
export const RESERVED_SLUGS = ['authorize', 'token', 'device', 'userinfo', 'introspect', 'revoke'];

/** Scope names the bot maps to authentik's built-in scope mappings. */
export const KNOWN_SCOPES = ['openid', 'email', 'profile', 'offline_access', 'ak_proxy'];

const SLACK_PRINCIPAL = /^[UWS][A-Z0-9]{2,}$/;
const SLACK_CHANNEL = /^[CGD][A-Z0-9]{2,}$/;
const INSTANCE_NAME = /^[a-z0-9_-]{1,40}$/;
const SLUG = /^[a-z0-9_-]{1,50}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Formats a zod path as the dotted key a user sees in the YAML file: `instances[0].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let key = '';
  for (const part of path) {
    if (typeof part === 'number') key += `[${part}]`;
    else key += key === '' ? String(part) : `.${String(part)}`;
  }
  return key === '' ? '(top level)' : key;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** Turns zod's issues into issues that name the key, the value and the fix. */
export function issuesFromZod(error: z.ZodError, raw: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const value = valueAt(raw, issue.path);
    const key = formatPath(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const name of issue.keys) {
          const fullKey = formatPath([...issue.path, name]);
          const unknownValue = valueAt(raw, [...issue.path, name]);
          if (SECRET_KEY.test(name)) {
            issues.push({
              key: fullKey,
              value: unknownValue,
              secret: true,
              problem: 'is not a known key, and secrets are never written in this file',
              fix: 'remove it and name an environment variable (passwordEnv, tokenEnv) or a file (passwordFile, tokenFile) instead',
            });
          } else {
            issues.push({
              key: fullKey,
              problem: 'is not a known key',
              fix: 'remove it or correct its spelling; see the configuration reference in the README',
            });
          }
        }
        break;
      case 'invalid_type':
        if (value === undefined) {
          issues.push({ key, problem: 'is missing', fix: `add it (${issue.expected} expected)` });
        } else {
          issues.push({
            key,
            value,
            problem: `must be ${article(issue.expected)}, not ${describeType(value)}`,
            fix: `write ${article(issue.expected)} value`,
          });
        }
        break;
      case 'invalid_value':
        issues.push({
          key,
          value,
          problem: 'is not one of the allowed values',
          fix: `use one of ${issue.values.map((allowed) => JSON.stringify(allowed)).join(', ')}`,
        });
        break;
      case 'too_small':
        issues.push({
          key,
          value,
          problem: issue.origin === 'string' ? 'is empty' : `is below the minimum of ${String(issue.minimum)}`,
          fix: issue.origin === 'array' ? `list at least ${String(issue.minimum)} entry` : 'give a larger value',
        });
        break;
      case 'too_big':
        issues.push({
          key,
          value,
          problem: `is above the maximum of ${String(issue.maximum)}`,
          fix: 'give a smaller value',
        });
        break;
      default:
        issues.push({ key, value, problem: `is invalid (${issue.message})`, fix: 'correct the value' });
    }
  }
  return issues;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Checks that `value` is an http(s) URL without credentials, query or fragment.
 * Plain http is accepted for loopback hosts, and for other hosts only with `allowHttp`.
 */
export function checkUrl(key: string, value: string, allowHttp: boolean, allowHttpKey: string): ConfigIssue | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { key, value, problem: 'is not a URL', fix: 'write an absolute URL such as https://host.example.com' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { key, value, problem: `uses the scheme ${url.protocol.replace(':', '')}`, fix: 'use an https:// URL' };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      key,
      value,
      secret: true,
      problem: 'contains credentials',
      fix: 'remove the user and password from the URL; secrets go in environment variables or files',
    };
  }
  if (url.search !== '' || url.hash !== '') {
    return { key, value, problem: 'has a query or fragment', fix: 'give the base URL only' };
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !allowHttp) {
    return {
      key,
      value,
      problem: 'uses plain http for a host that is not a loopback address',
      fix: `use https://, or set ${allowHttpKey}: true if this network is trusted`,
    };
  }
  return undefined;
}

/** Removes trailing slashes: `https://crm.example/` becomes `https://crm.example`. */
export function trimTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Checks the rules that span fields; `config` has passed the schema. */
export function checkRules(config: FileConfig): { issues: ConfigIssue[]; warnings: string[] } {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const { authentik, access, instances } = config;

  const authentikUrl = checkUrl('authentik.url', authentik.url, authentik.allowHttp, 'authentik.allowHttp');
  if (authentikUrl) issues.push(authentikUrl);
  if (authentik.apiUrl !== undefined) {
    const apiUrl = checkUrl('authentik.apiUrl', authentik.apiUrl, authentik.allowHttp, 'authentik.allowHttp');
    if (apiUrl) issues.push(apiUrl);
  }
  checkSecretSource(issues, 'authentik', 'token', authentik.tokenEnv, authentik.tokenFile);

  for (const scope of authentik.scopes) {
    if (!KNOWN_SCOPES.includes(scope)) {
      issues.push({
        key: 'authentik.scopes',
        value: scope,
        problem: 'names a scope without a built-in authentik scope mapping',
        fix: `use only ${KNOWN_SCOPES.join(', ')}`,
      });
    }
  }
  if (!authentik.scopes.includes('openid')) {
    issues.push({
      key: 'authentik.scopes',
      value: authentik.scopes,
      problem: 'does not include openid, without which authentik issues no ID token',
      fix: 'add openid to the list',
    });
  }
  if (authentik.subjectMode === 'hashed_user_id') {
    warnings.push(
      'authentik.subjectMode is hashed_user_id: its 64-character subjects are longer than the 50-character EspoCRM user names, so plans will report an error.',
    );
  }

  checkPrincipals(issues, 'access.requesters', access.requesters);
  checkPrincipals(issues, 'access.approvers', access.approvers);
  if (access.auditChannel !== undefined && !SLACK_CHANNEL.test(access.auditChannel)) {
    issues.push({
      key: 'access.auditChannel',
      value: access.auditChannel,
      problem: 'is not a Slack channel id',
      fix: 'use the channel id (C..., from the channel details), not its name',
    });
  }
  if (access.requesters.length === 0) warnings.push('access.requesters is empty: nobody can request a change from Slack.');
  if (access.approvers.length === 0) warnings.push('access.approvers is empty: nobody can approve a change in Slack.');

  const names = new Map<string, number>();
  const slugs = new Map<string, number>();
  const applicationNames = new Map<string, number>();
  instances.forEach((instance, index) => {
    const prefix = `instances[${index}]`;
    if (!INSTANCE_NAME.test(instance.name)) {
      issues.push({
        key: `${prefix}.name`,
        value: instance.name,
        problem: 'cannot be typed as a Slack command argument',
        fix: 'use 1 to 40 lowercase letters, digits, "-" or "_"',
      });
    }
    checkUnique(issues, names, instance.name, index, `${prefix}.name`, 'instance name');

    const slug = instance.application.slug;
    if (!SLUG.test(slug)) {
      issues.push({
        key: `${prefix}.application.slug`,
        value: slug,
        problem: 'is not a valid authentik slug',
        fix: 'use 1 to 50 lowercase letters, digits, "-" or "_"',
      });
    } else if (RESERVED_SLUGS.includes(slug)) {
      issues.push({
        key: `${prefix}.application.slug`,
        value: slug,
        problem: 'is reserved by authentik for its own OAuth2 endpoints',
        fix: `choose another slug (not ${RESERVED_SLUGS.join(', ')})`,
      });
    }
    checkUnique(issues, slugs, slug, index, `${prefix}.application.slug`, 'application slug');
    checkUnique(issues, applicationNames, instance.application.name, index, `${prefix}.application.name`, 'application name');

    const url = checkUrl(`${prefix}.url`, instance.url, instance.allowHttp, `${prefix}.allowHttp`);
    if (url) issues.push(url);
    checkSecretSource(issues, prefix, 'password', instance.passwordEnv, instance.passwordFile);

    const teams = instance.options.teams;
    if (instance.options.syncTeams && Object.keys(teams).length === 0) {
      issues.push({
        key: `${prefix}.options.syncTeams`,
        value: true,
        problem: 'is set but options.teams maps no team',
        fix: 'add teams, or remove syncTeams',
      });
    }
  });

  return { issues, warnings };
}

function checkUnique(
  issues: ConfigIssue[],
  seen: Map<string, number>,
  value: string,
  index: number,
  key: string,
  what: string,
): void {
  const first = seen.get(value);
  if (first === undefined) {
    seen.set(value, index);
    return;
  }
  issues.push({
    key,
    value,
    problem: `repeats the ${what} of instances[${first}]`,
    fix: `give every instance its own ${what}`,
  });
}

function checkPrincipals(issues: ConfigIssue[], key: string, ids: readonly string[]): void {
  ids.forEach((id, index) => {
    if (!SLACK_PRINCIPAL.test(id)) {
      issues.push({
        key: `${key}[${index}]`,
        value: id,
        problem: 'is not a Slack user id or user group id',
        fix: 'use ids such as U01ABCDEF (user) or S01ABCDEF (user group), not names or @handles',
      });
    }
  });
}

/** Exactly one of `<name>Env` and `<name>File` must be set, and an env name must be a valid one. */
function checkSecretSource(
  issues: ConfigIssue[],
  prefix: string,
  name: 'token' | 'password',
  envName: string | undefined,
  filePath: string | undefined,
): void {
  if (envName !== undefined && filePath !== undefined) {
    issues.push({
      key: `${prefix}.${name}Env`,
      problem: `and ${prefix}.${name}File are both set`,
      fix: 'keep one of them',
    });
  } else if (envName === undefined && filePath === undefined) {
    issues.push({
      key: `${prefix}.${name}Env`,
      problem: `is missing (and so is ${prefix}.${name}File)`,
      fix: `set ${name}Env to the name of an environment variable, or ${name}File to a file, that holds the ${name}`,
    });
  } else if (envName !== undefined && !ENV_NAME.test(envName)) {
    issues.push({
      key: `${prefix}.${name}Env`,
      value: envName,
      problem: 'is not an environment variable name',
      fix: `write the variable's name (such as ESPO_ACME_PASSWORD), never the ${name} itself`,
      secret: true,
    });
  }
}
