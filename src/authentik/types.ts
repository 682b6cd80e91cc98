import { type Secret } from '../config/secret';

/** authentik's server version as `version_current` reports it. */
export interface AuthentikVersion {
  /** The string as reported, e.g. "2026.8.3". */
  raw: string;
  major: number;
  minor: number;
  patch: number;
}

export interface Flow {
  pk: string;
  slug: string;
  name: string;
  designation: string;
}

export interface ScopeMapping {
  pk: string;
  /** Managed id, e.g. `goauthentik.io/providers/oauth2/scope-openid`. */
  managed: string;
  name: string;
  scopeName: string;
}

export interface CertificateKeypair {
  pk: string;
  name: string;
  /** Key algorithm; `unknown` when the server did not say or named another one (dsa, ed25519, ed448). */
  keyType: 'rsa' | 'ec' | 'unknown';
  hasPrivateKey: boolean;
}

/** Narrows `listKeypairsWithPrivateKey` to one key algorithm. */
export interface KeypairFilter {
  keyType?: 'rsa' | 'ec';
}

export interface RedirectUri {
  matchingMode: 'strict' | 'regex';
  url: string;
}

export interface OAuth2Provider {
  pk: number;
  name: string;
  clientType: string;
  clientId: string;
  /** Undefined when the server did not return it (it may hide secrets from some callers). */
  clientSecret: Secret | undefined;
  authorizationFlow: string;
  invalidationFlow: string | null;
  redirectUris: RedirectUri[];
  subMode: string;
  signingKey: string | null;
  encryptionKey: string | null;
  propertyMappings: string[];
  /** Undefined on servers before 2026.5, which have no such field. */
  grantTypes: string[] | undefined;
  /** Slug of the application using this provider; null for a provider left without one. */
  assignedApplicationSlug: string | null;
}

export interface Application {
  pk: string;
  slug: string;
  name: string;
  /** Primary key of the provider, or null. */
  provider: number | null;
  metaLaunchUrl: string;
}

/** Fields of a provider the bot sets. The client shapes them for the server's version. */
export interface ProviderFields {
  name: string;
  authorizationFlow: string;
  invalidationFlow: string;
  /** The one redirect URI, matched strictly. */
  redirectUri: string;
  clientType: 'confidential';
  clientId?: string;
  clientSecret?: Secret;
  subMode: string;
  signingKey: string;
  propertyMappings: string[];
  /** Sent only to servers that have the field (2026.5 and later); the client drops it for older ones. */
  grantTypes?: string[];
  /** Always null: an encryption key turns ID tokens into JWE, which EspoCRM cannot read. */
  encryptionKey?: null;
}

export interface ApplicationFields {
  slug: string;
  name: string;
  provider: number;
  metaLaunchUrl: string;
}

/** The parts of `.well-known/openid-configuration` the bot checks. */
export interface OidcDiscovery {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  jwksUri: string;
  endSessionEndpoint: string | undefined;
  idTokenSigningAlgValuesSupported: string[];
}

export interface Jwk {
  kty: string;
  kid: string | undefined;
  alg: string | undefined;
}

/**
 * What provisioning needs from authentik. Implemented over the real API by `AuthentikClient`.
 * Every call may throw `EspoSsoError` with `system: 'authentik'`.
 */
export interface AuthentikPort {
  /** Reads `version_current`; the client shapes later requests for this version. */
  getVersion(): Promise<AuthentikVersion>;
  findFlowBySlug(slug: string): Promise<Flow | undefined>;
  /** Scope mappings with any of the given managed ids (every page). */
  findScopeMappings(managed: string[]): Promise<ScopeMapping[]>;
  /**
   * Certificate keypairs that have a private key (every page). With `filter.keyType`, only
   * keypairs known to use that algorithm.
   */
  listKeypairsWithPrivateKey(filter?: KeypairFilter): Promise<CertificateKeypair[]>;
  getApplication(slug: string): Promise<Application | undefined>;
  findProviderByName(name: string): Promise<OAuth2Provider | undefined>;
  getProvider(pk: number): Promise<OAuth2Provider | undefined>;
  createProvider(fields: ProviderFields): Promise<OAuth2Provider>;
  updateProvider(pk: number, fields: Partial<ProviderFields>): Promise<OAuth2Provider>;
  deleteProvider(pk: number): Promise<void>;
  createApplication(fields: ApplicationFields): Promise<Application>;
  updateApplication(slug: string, fields: Partial<ApplicationFields>): Promise<Application>;
  deleteApplication(slug: string): Promise<void>;
  /** Fetches the application's OIDC discovery document (no authentication). */
  getDiscovery(slug: string): Promise<OidcDiscovery>;
  /** Fetches the application's JWKS (no authentication). */
  getJwks(slug: string): Promise<Jwk[]>;
}
