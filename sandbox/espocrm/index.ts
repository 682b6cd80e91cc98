export {
  type AddUserOptions,
  type AuthTokenInfo,
  FakeEspoCrm,
  type FakeEspoCrmOptions,
  type FakeTeam,
  type PasswordSignInResult,
} from './fake-espocrm';
export { AUTH_TOKEN_MAX_IDLE_MS, type EspoUserType, type FakeEspoUser, type SignInFailReason } from './authentication';
export { MAX_LIST_SIZE, type TeamRecord } from './teams';
export { FAILED_ATTEMPTS_PERIOD_MS, type LockOutState, MAX_FAILED_ATTEMPTS } from './lock-out';
export {
  ESPO_VERSIONS,
  type EspoMode,
  type ParamLevel,
  SETTINGS_FIELDS,
  type SettingsFieldDefinition,
  type SettingsFieldType,
} from './settings-schema';
export {
  DEFAULT_MAX_ITEM_LENGTH,
  DEFAULT_MAX_LENGTH,
  type FieldValidationFailure,
  isValidUrlValue,
  validateSettingsWrite,
} from './settings-validation';
