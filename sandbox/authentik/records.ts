import { randomInt, randomUUID } from 'node:crypto';

/**
 * The objects the fake authentik stores. Field names and defaults follow authentik's models, so
 * tests can compare a stored record with the request body that created it.
 */

export type FlowDesignation =
  | 'authentication'
  | 'authorization'
  | 'invalidation'
  | 'enrollment'
  | 'unenrollment'
  | 'recovery'
  | 'stage_configuration';

export interface FlowRecord {
  pk: string;
  name: string;
  slug: string;
  title: string;
  designation: FlowDesignation;
}

export interface ScopeMappingRecord {
  pk: string;
  /** Stable id of a mapping that authentik ships, e.g. `goauthentik.io/providers/oauth2/scope-email`. */
  managed: string | null;
  name: string;
  scope_name: string;
  expression: string;
  description: string;
}

export type KeyAlgorithm = 'rsa' | 'ec';

export interface KeypairRecord {
  pk: string;
  name: string;
  keyType: KeyAlgorithm;
  /** Whether a private key is stored. Without one the keypair cannot sign tokens. */
  hasKey: boolean;
  managed: string | null;
}

export interface RedirectUriRecord {
  matching_mode: 'strict' | 'regex';
  url: string;
  /** Only in modes >= 2026.5, where authentik fills in `authorization` when omitted. */
  redirect_uri_type?: 'authorization' | 'logout';
}

/** An OAuth2/OpenID provider as authentik stores it, client secret included. */
export interface OAuth2ProviderRecord {
  pk: number;
  name: string;
  authentication_flow: string | null;
  authorization_flow: string;
  invalidation_flow: string;
  property_mappings: string[];
  client_type: 'confidential' | 'public';
  /** Only in modes >= 2026.5. A provider created without it gets `[]`, and every login fails. */
  grant_types?: string[];
  client_id: string;
  client_secret: string;
  access_code_validity: string;
  access_token_validity: string;
  refresh_token_validity: string;
  refresh_token_threshold: string;
  include_claims_in_id_token: boolean;
  signing_key: string | null;
  encryption_key: string | null;
  redirect_uris: RedirectUriRecord[];
  logout_uri: string;
  logout_method: 'backchannel' | 'frontchannel';
  sub_mode: string;
  issuer_mode: 'global' | 'per_provider';
  jwt_federation_sources: string[];
  jwt_federation_providers: number[];
}

export interface ApplicationRecord {
  pk: string;
  name: string;
  slug: string;
  /** Primary key of the provider, or null. */
  provider: number | null;
  backchannel_providers: number[];
  open_in_new_tab: boolean;
  meta_launch_url: string;
  meta_icon: string;
  meta_description: string;
  meta_publisher: string;
  policy_engine_mode: 'all' | 'any';
  group: string;
  meta_hide: boolean;
}

/** Slugs that authentik's OAuth2 URLs use, so an application may not take them. */
export const RESERVED_APPLICATION_SLUGS: readonly string[] = [
  'authorize',
  'token',
  'device',
  'userinfo',
  'introspect',
  'revoke',
];

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Returns a random string of letters and digits, as authentik generates client ids and secrets. */
export function randomAlphanumeric(length: number): string {
  let result = '';
  for (let i = 0; i < length; i++) result += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return result;
}

/** Length of a generated `client_id`. */
export const CLIENT_ID_LENGTH = 40;
/** Length of a generated `client_secret`. */
export const CLIENT_SECRET_LENGTH = 128;

/** Returns a provider with authentik's model defaults and fresh credentials. */
export function defaultProvider(
  pk: number,
  name: string,
  authorizationFlow: string,
  invalidationFlow: string,
  withGrantTypes: boolean,
): OAuth2ProviderRecord {
  const record: OAuth2ProviderRecord = {
    pk,
    name,
    authentication_flow: null,
    authorization_flow: authorizationFlow,
    invalidation_flow: invalidationFlow,
    property_mappings: [],
    client_type: 'confidential',
    client_id: randomAlphanumeric(CLIENT_ID_LENGTH),
    client_secret: randomAlphanumeric(CLIENT_SECRET_LENGTH),
    access_code_validity: 'minutes=1',
    access_token_validity: 'hours=1',
    refresh_token_validity: 'days=30',
    refresh_token_threshold: 'seconds=0',
    include_claims_in_id_token: true,
    signing_key: null,
    encryption_key: null,
    redirect_uris: [],
    logout_uri: '',
    logout_method: 'backchannel',
    sub_mode: 'hashed_user_id',
    issuer_mode: 'per_provider',
    jwt_federation_sources: [],
    jwt_federation_providers: [],
  };
  if (withGrantTypes) record.grant_types = [];
  return record;
}

/** Returns an application with authentik's model defaults. */
export function defaultApplication(name: string, slug: string): ApplicationRecord {
  return {
    pk: randomUUID(),
    name,
    slug,
    provider: null,
    backchannel_providers: [],
    open_in_new_tab: false,
    meta_launch_url: '',
    meta_icon: '',
    meta_description: '',
    meta_publisher: '',
    policy_engine_mode: 'any',
    group: '',
    meta_hide: false,
  };
}

/** Returns a deep copy, so callers cannot change the fake's state through a returned record. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
