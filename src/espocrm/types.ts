import { type Secret } from '../config/secret';

/** The signed-in EspoCRM user. */
export interface EspoUser {
  id: string;
  userName: string;
  /** `admin`, `regular`, `super-admin`, `portal`, `api`, `system`. */
  type: string;
}

export interface EspoTeam {
  id: string;
  name: string;
}

/**
 * The OIDC settings espo-sso manages, as EspoCRM stores them. Reads never include the client
 * secret (EspoCRM does not return it).
 */
export interface OidcSettings {
  authenticationMethod: string;
  oidcClientId: string | null;
  oidcAuthorizationEndpoint: string | null;
  oidcTokenEndpoint: string | null;
  oidcJwksEndpoint: string | null;
  /** Exists since EspoCRM 9.1.0; undefined on older versions. */
  oidcUserInfoEndpoint: string | null | undefined;
  oidcJwtSignatureAlgorithmList: string[];
  oidcScopes: string[];
  oidcUsernameClaim: string | null;
  oidcLogoutUrl: string | null;
  oidcFallback: boolean;
  oidcAllowAdminUser: boolean;
  oidcAllowRegularUserFallback: boolean;
  oidcCreateUser: boolean;
  oidcSync: boolean;
  oidcSyncTeams: boolean;
  oidcGroupClaim: string | null;
  oidcTeamsIds: string[];
  oidcTeamsNames: Record<string, string>;
  oidcTeamsColumns: Record<string, { group: string }>;
}

/** Admin view of `GET /api/v1/Settings`, reduced to the fields the bot uses. */
export interface EspoSettings extends OidcSettings {
  /** EspoCRM's version, e.g. "8.4.2". */
  version: string;
  siteUrl: string | null;
}

/** A complete write: every managed field, with the secret when it changes. */
export interface OidcSettingsWrite extends Omit<OidcSettings, 'oidcUserInfoEndpoint'> {
  oidcUserInfoEndpoint: string | null;
  /** Omitted to keep the stored secret. */
  oidcClientSecret?: Secret;
}

/** Public view of `GET /api/v1/Settings`, as returned without authentication. */
export interface PublicSettings {
  siteUrl: string | null;
  /** Present only while the login method is OIDC. */
  loginData: { method: string; fallback: boolean } | undefined;
}

/** Login data from `GET /api/v1/Oidc/authorizationData`, served while OIDC is the login method. */
export interface AuthorizationData {
  clientId: string;
  endpoint: string;
  redirectUri: string;
  scopes: string[];
}

/**
 * Port through which provisioning reads and writes one EspoCRM instance. Implemented over the real API by
 * `EspoCrmClient`. Every call may throw `EspoSsoError` with `system: 'espocrm'`.
 */
export interface EspoCrmPort {
  /**
   * Signs in once with the configured password and keeps the token for later calls.
   * Throws `unauthorized` (wrong password), `second_factor_required`, `not_admin` or
   * `locked_out`, none of them retryable: failed sign-ins count toward EspoCRM's lock-out.
   */
  signIn(): Promise<EspoUser>;
  /** Reads the admin settings (signs in first if needed). */
  getSettings(): Promise<EspoSettings>;
  /** Reads the settings EspoCRM returns to anonymous visitors. */
  getPublicSettings(): Promise<PublicSettings>;
  /** Reads what the login page uses; undefined while OIDC is not the login method (403). */
  getAuthorizationData(): Promise<AuthorizationData | undefined>;
  /** Every team (every page). */
  listTeams(): Promise<EspoTeam[]>;
  /**
   * Writes the OIDC settings with one `PUT /api/v1/Settings`, sending only the fields that
   * `version` has, and returns the settings as stored.
   */
  writeSettings(version: string, settings: OidcSettingsWrite): Promise<EspoSettings>;
  /** Revokes the token of this run; never throws. */
  signOut(): Promise<void>;
}
