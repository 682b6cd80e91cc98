/**
 * The EspoCRM config parameters the fake models: the Settings entity fields that matter for
 * OIDC login, a few global ones, their access levels, version ranges and install defaults.
 * Read from EspoCRM's metadata (entityDefs/Settings.json, app/config.json,
 * defaults/systemConfig.php and defaults/config.php) for the tags 8.4.2 and 10.0.0.
 */

export type EspoMode = '8.4' | '10.0';

/** The version string each mode reports in `GET /api/v1/Settings`. */
export const ESPO_VERSIONS: Readonly<Record<EspoMode, string>> = {
  '8.4': '8.4.2',
  '10.0': '10.0.0',
};

/**
 * Read access of a parameter through `GET /api/v1/Settings`. `global` is readable without
 * sign-in, `default` by every signed-in user (API users included) and `admin` by admins only.
 * `internal` and `system` parameters are never returned.
 */
export type ParamLevel = 'global' | 'default' | 'admin' | 'internal' | 'system';

export type SettingsFieldType = 'bool' | 'enum' | 'multiEnum' | 'varchar' | 'url' | 'password' | 'linkMultiple';

/** One field of the Settings entity. */
export interface SettingsFieldDefinition {
  name: string;
  type: SettingsFieldType;
  level: ParamLevel;
  /** First version with the field. On older versions its key is unknown and not validated. */
  since?: string;
  /** Allowed values of an enum or multiEnum. An enum without options accepts any value. */
  options?: readonly string[];
  /** A multiEnum that accepts values outside `options`. */
  allowCustomOptions?: boolean;
}

/**
 * Settings fields in the order of EspoCRM's entityDefs, which is the order validation runs in:
 * when several fields fail, the first one in this list is reported.
 */
export const SETTINGS_FIELDS: readonly SettingsFieldDefinition[] = [
  { name: 'useCache', type: 'bool', level: 'global' },
  // The language list comes from the installed language files, not from entityDefs options.
  { name: 'language', type: 'enum', level: 'global' },
  // entityDefs has no option list here, so any value is stored (a typo such as "oidc" too).
  { name: 'authenticationMethod', type: 'enum', level: 'admin' },
  { name: 'auth2FA', type: 'bool', level: 'default' },
  { name: 'auth2FAMethodList', type: 'multiEnum', level: 'default' },
  { name: 'siteUrl', type: 'varchar', level: 'global' },
  { name: 'applicationName', type: 'varchar', level: 'global' },
  { name: 'oidcClientId', type: 'varchar', level: 'admin' },
  { name: 'oidcClientSecret', type: 'password', level: 'internal' },
  { name: 'oidcAuthorizationEndpoint', type: 'url', level: 'admin' },
  { name: 'oidcUserInfoEndpoint', type: 'url', level: 'admin', since: '9.1.0' },
  { name: 'oidcTokenEndpoint', type: 'url', level: 'admin' },
  { name: 'oidcJwksEndpoint', type: 'url', level: 'admin' },
  {
    name: 'oidcJwtSignatureAlgorithmList',
    type: 'multiEnum',
    level: 'admin',
    options: ['RS256', 'RS384', 'RS512', 'HS256', 'HS384', 'HS512'],
  },
  {
    name: 'oidcScopes',
    type: 'multiEnum',
    level: 'admin',
    options: ['profile', 'email', 'phone', 'address'],
    allowCustomOptions: true,
  },
  { name: 'oidcGroupClaim', type: 'varchar', level: 'admin' },
  { name: 'oidcCreateUser', type: 'bool', level: 'admin' },
  // The options of this varchar are UI suggestions only: the server does not check them.
  { name: 'oidcUsernameClaim', type: 'varchar', level: 'admin' },
  { name: 'oidcTeams', type: 'linkMultiple', level: 'admin' },
  { name: 'oidcSync', type: 'bool', level: 'admin' },
  { name: 'oidcSyncTeams', type: 'bool', level: 'admin' },
  { name: 'oidcFallback', type: 'bool', level: 'admin' },
  { name: 'oidcAllowRegularUserFallback', type: 'bool', level: 'admin' },
  { name: 'oidcAllowAdminUser', type: 'bool', level: 'admin' },
  { name: 'oidcLogoutUrl', type: 'varchar', level: 'admin' },
  {
    name: 'oidcAuthorizationPrompt',
    type: 'enum',
    level: 'admin',
    since: '8.3.0',
    options: ['none', 'consent', 'login', 'select_account'],
  },
  { name: 'oidcAuthorizationPkce', type: 'bool', level: 'admin', since: '10.0.0' },
];

/** A config parameter that is not a Settings field but that EspoCRM reads or guards. */
export interface ConfigParamDefinition {
  name: string;
  level: ParamLevel;
  since?: string;
  /** PUT drops the key without an error: EspoCRM's system and read-only parameters. */
  ignoredOnWrite?: boolean;
}

/**
 * Config-only parameters. The system and read-only entries are a subset of EspoCRM's lists,
 * enough to show that PUT drops them silently.
 */
export const CONFIG_ONLY_PARAMS: readonly ConfigParamDefinition[] = [
  // Not in systemItems or adminItems, so every signed-in user can read it, and PUT stores it.
  { name: 'version', level: 'default' },
  { name: 'oidcAuthorizationMaxAge', level: 'admin' },
  { name: 'oidcJwksCachePeriod', level: 'admin' },
  { name: 'restrictedMode', level: 'system', ignoredOnWrite: true },
  { name: 'database', level: 'system', ignoredOnWrite: true },
  { name: 'cryptKey', level: 'system', ignoredOnWrite: true },
  { name: 'passwordSalt', level: 'system', ignoredOnWrite: true },
  { name: 'hashSecretKey', level: 'system', ignoredOnWrite: true },
  { name: 'apiSecretKeys', level: 'system', ignoredOnWrite: true },
  { name: 'isInstalled', level: 'system', ignoredOnWrite: true },
  { name: 'authAnotherUserDisabled', level: 'admin', ignoredOnWrite: true },
  { name: 'authTokenSecretDisabled', level: 'system', ignoredOnWrite: true },
  { name: 'isDeveloperMode', level: 'global', ignoredOnWrite: true },
  { name: 'userNameRegularExpression', level: 'default', ignoredOnWrite: true },
  { name: 'systemUserId', level: 'admin', ignoredOnWrite: true },
  { name: 'smtpPassword', level: 'internal' },
  { name: 'ldapPassword', level: 'internal' },
];

/** Returns whether `version` is at least `minimum`, both dotted numbers such as "9.1.0". */
export function versionAtLeast(version: string, minimum: string): boolean {
  const actual = version.split('.').map(Number);
  const required = minimum.split('.').map(Number);
  for (let index = 0; index < Math.max(actual.length, required.length); index++) {
    const difference = (actual[index] ?? 0) - (required[index] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

/** Settings fields that exist in `mode`, in validation order. */
export function settingsFieldsFor(mode: EspoMode): SettingsFieldDefinition[] {
  const version = ESPO_VERSIONS[mode];
  return SETTINGS_FIELDS.filter((field) => !field.since || versionAtLeast(version, field.since));
}

/**
 * Returns the config keys a field is stored under. A linkMultiple field is kept as three
 * attributes: `<name>Ids`, `<name>Names` and `<name>Columns`.
 */
export function attributesOf(field: SettingsFieldDefinition): string[] {
  if (field.type === 'linkMultiple') return [`${field.name}Ids`, `${field.name}Names`, `${field.name}Columns`];
  return [field.name];
}

/** Access levels and write rules of every config key the fake models in one EspoCRM version. */
export class ConfigKeyTable {
  private readonly levels = new Map<string, ParamLevel>();
  private readonly ignoredOnWrite = new Set<string>();
  private readonly passwordFields = new Set<string>();

  constructor(readonly mode: EspoMode) {
    const version = ESPO_VERSIONS[mode];
    for (const field of settingsFieldsFor(mode)) {
      for (const attribute of attributesOf(field)) this.levels.set(attribute, field.level);
      if (field.type === 'password') this.passwordFields.add(field.name);
    }
    for (const param of CONFIG_ONLY_PARAMS) {
      if (param.since && !versionAtLeast(version, param.since)) continue;
      this.levels.set(param.name, param.level);
      if (param.ignoredOnWrite) this.ignoredOnWrite.add(param.name);
    }
  }

  /** Returns whether the key is a Settings attribute or a known config parameter in this version. */
  isKnown(key: string): boolean {
    return this.levels.has(key);
  }

  /** Returns the read level of a key. Unknown keys are `default`: every signed-in user reads them. */
  levelOf(key: string): ParamLevel {
    return this.levels.get(key) ?? 'default';
  }

  /** Returns whether PUT drops the key silently (system and read-only parameters). */
  isIgnoredOnWrite(key: string): boolean {
    return this.ignoredOnWrite.has(key);
  }

  /** Returns whether GET never shows the key: password-type fields are write-only. */
  isPasswordField(key: string): boolean {
    return this.passwordFields.has(key);
  }
}

/**
 * Returns the config of a fresh installation: the values the installer writes from
 * defaults/config.php. Parameters without a default are absent and read as null or false.
 */
export function defaultSettingsFor(mode: EspoMode): Map<string, unknown> {
  const settings = new Map<string, unknown>([
    ['version', ESPO_VERSIONS[mode]],
    ['useCache', true],
    ['language', 'en_US'],
    ['applicationName', 'EspoCRM'],
    ['authenticationMethod', 'Espo'],
    ['auth2FA', false],
    ['auth2FAMethodList', ['Totp']],
    ['oidcJwtSignatureAlgorithmList', ['RS256']],
    ['oidcScopes', ['profile', 'email', 'phone']],
    ['oidcUsernameClaim', 'sub'],
    ['oidcFallback', true],
    ['oidcAuthorizationPrompt', 'consent'],
    ['oidcJwksCachePeriod', '10 minutes'],
  ]);
  if (versionAtLeast(ESPO_VERSIONS[mode], '10.0.0')) settings.set('oidcAuthorizationPkce', true);
  return settings;
}
