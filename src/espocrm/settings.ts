import { z } from 'zod';

import { type Secret } from '../config/secret';
import { EspoSsoError } from '../errors';
import { type OidcSettingsWrite } from './types';
import { assertOidcSupported, isVersionAtLeast } from './version';

/**
 * The closed list of EspoCRM settings that espo-sso writes. `PUT /api/v1/Settings` stores any key
 * it gets (unknown keys become readable by every signed-in user) and checks neither booleans nor
 * `authenticationMethod`, so every body is built from this list and validated here before it is sent.
 */

/** Every setting espo-sso manages, the client secret included. */
export type ManagedSettingName = keyof OidcSettingsWrite;

/** Validation category of a setting, which selects its checks before a write. */
export type SettingKind =
  /** `authenticationMethod`: exactly `Oidc` or `Espo`. */
  | 'authenticationMethod'
  /** varchar: a string of at most 255 characters, or null. */
  | 'text'
  /** EspoCRM url field: absolute http(s) URL whose host contains a dot, or null. */
  | 'endpoint'
  /** varchar holding a browser URL with `{siteUrl}`/`{clientId}` placeholders, or null. */
  | 'logoutUrl'
  /** password field: write-only, never returned by EspoCRM. */
  | 'secret'
  | 'boolean'
  /** multiEnum of `RS256`, `RS384`, `RS512`, `HS256`, `HS384`, `HS512`. */
  | 'signatureAlgorithms'
  /** multiEnum with custom options: OAuth scope tokens. */
  | 'scopes'
  /** The three stored attributes of the `oidcTeams` linkMultiple field. */
  | 'teamIds'
  | 'teamNames'
  | 'teamColumns';

export interface SettingSpec {
  kind: SettingKind;
  /** First EspoCRM version that has the setting. */
  since: string;
}

/**
 * The managed settings in the order they are sent, with EspoCRM's field types and the first
 * version of each: OIDC came in 7.3.0 and `oidcUserInfoEndpoint` in 9.1.0.
 */
export const OIDC_SETTINGS: { readonly [Name in ManagedSettingName]-?: SettingSpec } = {
  authenticationMethod: { kind: 'authenticationMethod', since: '7.3.0' },
  oidcClientId: { kind: 'text', since: '7.3.0' },
  oidcClientSecret: { kind: 'secret', since: '7.3.0' },
  oidcAuthorizationEndpoint: { kind: 'endpoint', since: '7.3.0' },
  oidcTokenEndpoint: { kind: 'endpoint', since: '7.3.0' },
  oidcJwksEndpoint: { kind: 'endpoint', since: '7.3.0' },
  oidcUserInfoEndpoint: { kind: 'endpoint', since: '9.1.0' },
  oidcJwtSignatureAlgorithmList: { kind: 'signatureAlgorithms', since: '7.3.0' },
  oidcScopes: { kind: 'scopes', since: '7.3.0' },
  oidcUsernameClaim: { kind: 'text', since: '7.3.0' },
  oidcLogoutUrl: { kind: 'logoutUrl', since: '7.3.0' },
  oidcFallback: { kind: 'boolean', since: '7.3.0' },
  oidcAllowAdminUser: { kind: 'boolean', since: '7.3.0' },
  oidcAllowRegularUserFallback: { kind: 'boolean', since: '7.3.0' },
  oidcCreateUser: { kind: 'boolean', since: '7.3.0' },
  oidcSync: { kind: 'boolean', since: '7.3.0' },
  oidcSyncTeams: { kind: 'boolean', since: '7.3.0' },
  oidcGroupClaim: { kind: 'text', since: '7.3.0' },
  oidcTeamsIds: { kind: 'teamIds', since: '7.3.0' },
  oidcTeamsNames: { kind: 'teamNames', since: '7.3.0' },
  oidcTeamsColumns: { kind: 'teamColumns', since: '7.3.0' },
};

/** The managed settings other than the client secret, i.e. every setting a read can return. */
export type ReadableSettingName = Exclude<ManagedSettingName, 'oidcClientSecret'>;

/** The ID token signature algorithms EspoCRM supports; it has no EC algorithms. */
export const SIGNATURE_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'HS256', 'HS384', 'HS512'] as const;

/**
 * The values espo-sso writes to `authenticationMethod`: `Oidc` and `Espo`, and `LDAP` only when a
 * rollback restores an instance that used it before.
 */
export const AUTHENTICATION_METHODS = ['Oidc', 'Espo', 'LDAP'] as const;

/** EspoCRM's maximum length of varchar, url and password fields. */
export const MAX_SETTING_LENGTH = 255;

/** EspoCRM's maximum length of one multiEnum item (`ArrayType::DEFAULT_MAX_ITEM_LENGTH`). */
export const MAX_LIST_ITEM_LENGTH = 100;

/** Lists the managed settings `version` has, in the order they are sent, without the client secret. */
export function settingNamesFor(version: string): ReadableSettingName[] {
  const names: ReadableSettingName[] = [];
  for (const name of Object.keys(OIDC_SETTINGS) as ManagedSettingName[]) {
    if (name === 'oidcClientSecret') continue;
    if (isVersionAtLeast(version, OIDC_SETTINGS[name].since)) names.push(name);
  }
  return names;
}

/** The JSON body of a write, without the client secret. */
export type SettingsBodyFields = Partial<Omit<OidcSettingsWrite, 'oidcClientSecret'>>;

/** One `PUT /api/v1/Settings` body, split so the fields can be shown and logged without the secret. */
export interface SettingsBody {
  /** The version the body was built for. */
  version: string;
  /** Every managed setting that `version` has, in sending order. Never contains the client secret. */
  fields: SettingsBodyFields;
  /** Whether the body sent adds `oidcClientSecret`. */
  sendsClientSecret: boolean;
  /** The client secret to send, or undefined to keep the one EspoCRM has stored. */
  clientSecret: Secret | undefined;
}

/** One problem found in the settings to write. */
export interface SettingsIssue {
  /** The setting, e.g. `oidcTokenEndpoint`. */
  field: string;
  /** Sentence that states the problem and the fix. */
  message: string;
}

/**
 * Builds the body of one settings write for `version` and validates it. Settings that `version`
 * lacks are left out (`oidcUserInfoEndpoint` before 9.1.0). Pure: sends nothing.
 * Throws `unsupported_version` before 7.3.0, and `plan_invalid` listing every issue that
 * `findSettingsIssues` reports.
 */
export function buildSettingsBody(version: string, settings: OidcSettingsWrite): SettingsBody {
  const issues = findSettingsIssues(version, settings);
  if (issues.length > 0) {
    const list = issues.map((issue) => `${issue.field}: ${issue.message}`).join(' ');
    throw new EspoSsoError('plan_invalid', `The OIDC settings to write to EspoCRM ${version} are invalid. ${list}`, {
      system: 'espocrm',
      hint:
        'Correct these values before writing, because EspoCRM stores most of them without checking ' +
        'and then fails at login.',
    });
  }

  const fields: Record<string, unknown> = {};
  for (const name of settingNamesFor(version)) {
    fields[name] = structuredClone(settings[name]);
  }
  const clientSecret = settings.oidcClientSecret;
  return {
    version,
    fields: fields as SettingsBodyFields,
    sendsClientSecret: clientSecret !== undefined,
    clientSecret,
  };
}

/**
 * Lists every problem in the settings to write for `version`. The checks cover EspoCRM's own
 * (url pattern, lengths, the algorithm list) and the ones it skips: the method value, booleans,
 * team attributes and what an OIDC login needs. Throws `unsupported_version` before 7.3.0.
 */
export function findSettingsIssues(version: string, settings: OidcSettingsWrite): SettingsIssue[] {
  assertOidcSupported(version);
  const names = settingNamesFor(version);
  const issues: SettingsIssue[] = [];

  const input: Record<string, unknown> = {};
  for (const name of names) input[name] = settings[name];
  const result = bodySchemaFor(names).safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [field, ...rest] = issue.path.map(String);
      const where = rest.length > 0 ? ` (at ${rest.join('.')})` : '';
      issues.push({ field: field ?? '(body)', message: `${issue.message}${where}` });
    }
  }

  issues.push(...findSecretIssues(settings.oidcClientSecret));
  issues.push(...findTeamIssues(settings));
  if (settings.authenticationMethod === 'Oidc') {
    // A field that already failed its own check (an empty URL, say) is not reported twice.
    const reported = new Set(issues.map((issue) => issue.field));
    issues.push(...findOidcLoginIssues(settings).filter((issue) => !reported.has(issue.field)));
  }
  return issues;
}

const textSchema = z
  .string({ error: 'must be a string or null' })
  .max(MAX_SETTING_LENGTH, { error: `must be at most ${MAX_SETTING_LENGTH} characters long` })
  .nullable();

const endpointSchema = z
  .string({ error: 'must be a URL string or null' })
  .superRefine((value, context) => {
    const problem = findUrlProblem(value, 'endpoint');
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .nullable();

const logoutUrlSchema = z
  .string({ error: 'must be a URL string or null' })
  .superRefine((value, context) => {
    const problem = findUrlProblem(value, 'logoutUrl');
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .nullable();

const booleanSchema = z.boolean({
  error: 'must be a JSON boolean, because EspoCRM stores a string such as "false" as is and reads it as true',
});

/** RFC 6749 scope-token: printable ASCII without space, `"` or `\`. */
const scopeSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, { error: 'must be a non-empty scope name without spaces or quotes' })
  .max(MAX_LIST_ITEM_LENGTH, { error: `must be at most ${MAX_LIST_ITEM_LENGTH} characters long` });

/**
 * EspoCRM checks each id of a linkMultiple field against its id pattern.
 * NOTE: this character set (letters, digits, `_ = - .`) is an assumption that covers the hex ids
 * EspoCRM generates; it was not read from EspoCRM's pattern.
 */
const teamIdSchema = z
  .string({ error: 'must be a team id string' })
  .regex(/^[A-Za-z0-9_=.-]+$/, { error: 'must be a team id from GET /api/v1/Team (letters, digits, _ = - .)' });

const SCHEMAS: { readonly [Kind in Exclude<SettingKind, 'secret'>]: z.ZodType } = {
  authenticationMethod: z.enum(AUTHENTICATION_METHODS, {
    error: (issue) =>
      `must be exactly "Oidc", "Espo" or "LDAP", not ${JSON.stringify(issue.input) ?? 'undefined'}, ` +
      'because EspoCRM stores any other value and then fails every sign-in with 500',
  }),
  text: textSchema,
  endpoint: endpointSchema,
  logoutUrl: logoutUrlSchema,
  boolean: booleanSchema,
  signatureAlgorithms: z.array(
    z.enum(SIGNATURE_ALGORITHMS, { error: `must be one of ${SIGNATURE_ALGORITHMS.join(', ')}` }),
    { error: 'must be a list of algorithm names' },
  ),
  scopes: z.array(scopeSchema, { error: 'must be a list of scope names' }),
  teamIds: z.array(teamIdSchema, { error: 'must be a list of team ids' }),
  teamNames: z.record(
    z.string(),
    z
      .string({ error: 'must be a team name string' })
      .min(1, { error: 'must not be empty' })
      .max(MAX_SETTING_LENGTH, { error: `must be at most ${MAX_SETTING_LENGTH} characters long` }),
    { error: 'must be an object of team id to team name' },
  ),
  teamColumns: z.record(
    z.string(),
    z.strictObject(
      {
        group: z
          .string({ error: 'must be a group name string' })
          .max(MAX_SETTING_LENGTH, { error: `must be at most ${MAX_SETTING_LENGTH} characters long` }),
      },
      { error: 'must be an object { "group": "<group name>" } and nothing else' },
    ),
    { error: 'must be an object of team id to { "group": "<group name>" }' },
  ),
};

function bodySchemaFor(names: readonly ReadableSettingName[]): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const name of names) {
    const kind = OIDC_SETTINGS[name].kind;
    if (kind !== 'secret') shape[name] = SCHEMAS[kind];
  }
  return z.strictObject(shape);
}

/** The characters RFC 3986 allows in a URI: unreserved, reserved and `%` of percent-encoding. */
const URL_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const LOGOUT_URL_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%{}]+$/;

/**
 * Describes what is wrong with a URL setting, or returns undefined. EspoCRM's url check needs a
 * dot in the host: EspoCRM 8.4.2 rejects `http://localhost:9000/...` and `http://authentik:9000/...`
 * with 400 and accepts `http://127.0.0.1:9000/...`. The logout URL is a varchar that only the
 * browser opens, so it does not need the dot.
 */
function findUrlProblem(value: string, kind: 'endpoint' | 'logoutUrl'): string | undefined {
  if (value.length > MAX_SETTING_LENGTH) return `must be at most ${MAX_SETTING_LENGTH} characters long`;
  if (value === '') return 'must not be empty (null clears the setting)';
  if (value !== value.trim()) return 'must be a URL without surrounding whitespace';
  // The logout URL may also contain EspoCRM's {siteUrl} and {clientId} placeholders.
  const allowed = kind === 'logoutUrl' ? LOGOUT_URL_CHARACTERS : URL_CHARACTERS;
  if (!allowed.test(value)) {
    return (
      `"${value}" contains characters that a URL may not contain unencoded ` +
      '(spaces, non-ASCII, quotes, braces). Percent-encode them.'
    );
  }

  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not an absolute URL`;
  }
  // The value itself is left out from here on when it carries credentials.
  const displayValue = url.username || url.password ? `${url.protocol}//…@${url.host}` : value;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `"${displayValue}" must use http or https`;
  }
  if (url.username || url.password) return `"${displayValue}" must not contain a user name or password`;

  const host = url.hostname;
  if (host.startsWith('.') || host.endsWith('.') || host.includes('..')) {
    return `"${displayValue}" has the invalid host "${host}"`;
  }
  if (kind === 'endpoint' && !host.includes('.')) {
    return (
      `"${displayValue}" has the host "${host}" without a dot, which EspoCRM rejects. ` +
      'Use a dotted host name or an IPv4 address.'
    );
  }
  return undefined;
}

function findSecretIssues(secret: Secret | undefined): SettingsIssue[] {
  if (secret === undefined) return [];
  const length = secret.reveal().length;
  if (length === 0) return [{ field: 'oidcClientSecret', message: 'must not be empty' }];
  if (length > MAX_SETTING_LENGTH) {
    const message = `must be at most ${MAX_SETTING_LENGTH} characters long (it has ${length})`;
    return [{ field: 'oidcClientSecret', message }];
  }
  return [];
}

/**
 * Checks that the three team attributes list the same team ids. EspoCRM stores them in any shape,
 * and its admin UI shows no team names unless `oidcTeamsNames` is filled in.
 */
function findTeamIssues(settings: OidcSettingsWrite): SettingsIssue[] {
  const ids: unknown = settings.oidcTeamsIds;
  const names: unknown = settings.oidcTeamsNames;
  const columns: unknown = settings.oidcTeamsColumns;
  if (!Array.isArray(ids) || !isPlainObject(names) || !isPlainObject(columns)) return [];

  const issues: SettingsIssue[] = [];
  const idSet = new Set(ids.map(String));
  if (idSet.size !== ids.length) {
    issues.push({ field: 'oidcTeamsIds', message: 'lists a team id more than once' });
  }
  const compareKeys = (field: string, keys: string[]): void => {
    const missing = [...idSet].filter((id) => !keys.includes(id));
    const extra = keys.filter((key) => !idSet.has(key));
    if (missing.length > 0) issues.push({ field, message: `has no entry for the team ids ${missing.join(', ')}` });
    if (extra.length > 0) {
      issues.push({ field, message: `has entries for ${extra.join(', ')}, which oidcTeamsIds does not list` });
    }
  };
  compareKeys('oidcTeamsNames', Object.keys(names));
  compareKeys('oidcTeamsColumns', Object.keys(columns));
  return issues;
}

/** Checks what an OIDC login needs at run time. EspoCRM's admin UI requires these, but its API does not. */
function findOidcLoginIssues(settings: OidcSettingsWrite): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  type RequiredField = 'oidcClientId' | 'oidcAuthorizationEndpoint' | 'oidcTokenEndpoint' | 'oidcUsernameClaim';
  const requireValue = (field: RequiredField): void => {
    const value: unknown = settings[field];
    if (value === null || value === undefined || value === '') {
      issues.push({ field, message: 'is required while authenticationMethod is "Oidc"' });
    }
  };
  requireValue('oidcClientId');
  requireValue('oidcAuthorizationEndpoint');
  requireValue('oidcTokenEndpoint');
  requireValue('oidcUsernameClaim');

  const algorithms: unknown = settings.oidcJwtSignatureAlgorithmList;
  if (Array.isArray(algorithms)) {
    if (algorithms.length === 0) {
      issues.push({
        field: 'oidcJwtSignatureAlgorithmList',
        message: 'must not be empty while authenticationMethod is "Oidc", because EspoCRM then accepts no ID token',
      });
    }
    const usesRsa = algorithms.some((algorithm) => typeof algorithm === 'string' && algorithm.startsWith('RS'));
    if (usesRsa && !settings.oidcJwksEndpoint) {
      issues.push({ field: 'oidcJwksEndpoint', message: 'is required for the RS256, RS384 and RS512 algorithms' });
    }
  }

  // Super-admins can never use OIDC, and the API does not guard this as the admin UI does.
  if (settings.oidcFallback === false && settings.oidcAllowAdminUser === false) {
    issues.push({
      field: 'oidcFallback',
      message:
        'is false while oidcAllowAdminUser is also false, which locks every administrator out. ' +
        'Enable at least one of them.',
    });
  }
  return issues;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Lists the fields of `body` whose stored value differs from the value sent. Objects compare
 * without regard to key order, lists in order.
 */
export function findUnstoredFields(
  body: SettingsBodyFields,
  stored: Partial<Record<ReadableSettingName, unknown>>,
): ReadableSettingName[] {
  const differing: ReadableSettingName[] = [];
  for (const name of Object.keys(body) as ReadableSettingName[]) {
    if (!jsonEqual(body[name], stored[name])) differing.push(name);
  }
  return differing;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}
