export { EspoCrmClient, serializeSettingsBody, type EspoCrmClientOptions } from './client';
export {
  AUTHENTICATION_METHODS,
  MAX_LIST_ITEM_LENGTH,
  MAX_SETTING_LENGTH,
  OIDC_SETTINGS,
  SIGNATURE_ALGORITHMS,
  buildSettingsBody,
  findSettingsIssues,
  findUnstoredFields,
  settingNamesFor,
  type ManagedSettingName,
  type ReadableSettingName,
  type SettingKind,
  type SettingSpec,
  type SettingsBody,
  type SettingsBodyFields,
  type SettingsIssue,
} from './settings';
export { phpBoolean, readEspoSettings, readPublicSettings } from './schemas';
export {
  MIN_OIDC_VERSION,
  assertOidcSupported,
  compareEspoVersions,
  isVersionAtLeast,
  parseEspoVersion,
  type EspoVersion,
} from './version';
export type * from './types';
