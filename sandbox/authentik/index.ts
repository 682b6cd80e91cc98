export {
  FakeAuthentik,
  type FakeAuthentikOptions,
  type SeedKeys,
  SEEDED_FLOWS,
  SEEDED_KEYPAIR_NAME,
  SEEDED_SCOPE_MAPPINGS,
} from './fake-authentik';
export { ALL_PERMISSIONS, AUTHENTIK_PERMISSIONS } from './api-common';
export {
  type ApplicationRecord,
  CLIENT_ID_LENGTH,
  CLIENT_SECRET_LENGTH,
  type FlowDesignation,
  type FlowRecord,
  type KeyAlgorithm,
  type KeypairRecord,
  type OAuth2ProviderRecord,
  type RedirectUriRecord,
  RESERVED_APPLICATION_SLUGS,
  type ScopeMappingRecord,
} from './records';
export { type FieldErrors, schemaPath, schemaViolations, UNKNOWN_FIELD_MESSAGE, validateRequestBody } from './schema';
export { type ApplicationSeed, type IgnoredInput, type KeypairSeed, type ProviderSeed } from './store';
export { AUTHENTIK_VERSIONS, type AuthentikVersion, VERSION_CURRENT } from './versions';
