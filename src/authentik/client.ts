import {
  AdminApi,
  type ApiResponse,
  type ApplicationRequest,
  Configuration,
  CoreApi,
  CryptoApi,
  type FetchAPI,
  FlowsApi,
  GrantTypeEnum,
  KeyTypeEnum,
  MatchingModeEnum,
  type OAuth2ProviderRequest,
  type PatchedApplicationRequest,
  type PatchedOAuth2ProviderRequest,
  PropertymappingsApi,
  ProvidersApi,
  type RedirectURIRequest,
  SubModeEnum,
} from '@goauthentik/api';
import { type z } from 'zod';

import { Secret } from '../config/secret';
import { EspoSsoError } from '../errors';
import { noopObserver, type UpstreamObserver } from '../http/observer';
import { type RateLimiter } from '../http/rate-limiter';
import { createSilentLogger, type Logger, registerSecretValue } from '../logging/logger';
import {
  type CallInfo,
  describeIssues,
  errorForResponse,
  invalidResponseError,
  toAuthentikError,
} from './errors';
import {
  applicationSchema,
  discoverySchema,
  flowSchema,
  jwksSchema,
  keypairSchema,
  oauth2ProviderSchema,
  pageSchema,
  scopeMappingSchema,
  versionSchema,
} from './schemas';
import { createTransport } from './transport';
import {
  type Application,
  type ApplicationFields,
  type AuthentikPort,
  type AuthentikVersion,
  type CertificateKeypair,
  type Flow,
  type Jwk,
  type KeypairFilter,
  type OAuth2Provider,
  type OidcDiscovery,
  type ProviderFields,
  type ScopeMapping,
} from './types';
import { checkSupportedVersion, featuresOf, parseVersion, type VersionFeatures } from './version';

export interface AuthentikClientOptions {
  /** authentik base URL without `/api/v3` and without a trailing slash, e.g. `https://auth.example.com`. */
  apiUrl: string;
  /** API token (intent "API"); sent only in the Authorization header. */
  token: Secret;
  /** Time limit of each HTTP request, body included, in milliseconds. */
  timeoutMs: number;
  /** Sent as `X-Correlation-Id` on every request. */
  correlationId: string;
  observer?: UpstreamObserver;
  /** Shared with other clients of the same authentik; no limit when absent. */
  rateLimiter?: RateLimiter;
  logger?: Logger;
}

/**
 * Grant types a new provider gets on servers >= 2026.5 unless the fields name others. Providers
 * created through the API without them get an empty list there, and every login fails.
 */
const DEFAULT_GRANT_TYPES: GrantTypeEnum[] = [GrantTypeEnum.AuthorizationCode, GrantTypeEnum.RefreshToken];

type ProviderBody = z.output<typeof oauth2ProviderSchema>;
type ApplicationBody = z.output<typeof applicationSchema>;
type KeypairBody = z.output<typeof keypairSchema>;

/**
 * `AuthentikPort` over authentik's REST API (`/api/v3`), built on `@goauthentik/api`.
 *
 * The generated API classes build URLs, query strings and request bodies. Response bodies are
 * read from the raw HTTP response (the `*Raw` methods) and checked with zod, because the
 * generated parsers assume the 2026.8 schema. For example, they drop `private_key_type`, which
 * servers before 2025.12 use for the key algorithm.
 *
 * Every method except `getVersion`, `getDiscovery` and `getJwks` reads the server version
 * first (once per client) and rejects a server older than 2024.10.3 with `unsupported_version`.
 */
export class AuthentikClient implements AuthentikPort {
  private readonly apiUrl: string;
  private readonly token: Secret;
  private readonly fetchApi: FetchAPI;
  private readonly logger: Logger;
  /** Client secrets this client sent or received, replaced in error messages. */
  private readonly clientSecrets = new Set<string>();
  private readonly admin: AdminApi;
  private readonly flows: FlowsApi;
  private readonly propertyMappings: PropertymappingsApi;
  private readonly crypto: CryptoApi;
  private readonly core: CoreApi;
  private readonly providers: ProvidersApi;
  private versionRead: Promise<AuthentikVersion> | undefined;

  constructor(options: AuthentikClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/.test(this.apiUrl)) {
      throw new EspoSsoError('config_invalid', `The authentik API URL "${this.apiUrl}" is not an absolute http(s) URL.`, {
        system: 'authentik',
      });
    }
    this.token = options.token;
    this.logger = (options.logger ?? createSilentLogger()).child({
      system: 'authentik',
      correlationId: options.correlationId,
    });
    // Log lines are scanned for registered values, so the token is masked even if it reaches one.
    registerSecretValue(this.token.reveal());

    this.fetchApi = createTransport({
      apiUrl: this.apiUrl,
      correlationId: options.correlationId,
      timeoutMs: options.timeoutMs,
      observer: options.observer ?? noopObserver,
      rateLimiter: options.rateLimiter,
      logger: this.logger,
    });
    const token = this.token;
    const configuration = new Configuration({
      basePath: `${this.apiUrl}/api/v3`,
      // A function, so the token is not stored in the configuration object where inspection could show it.
      accessToken: () => token.reveal(),
      fetchApi: this.fetchApi,
    });
    this.admin = new AdminApi(configuration);
    this.flows = new FlowsApi(configuration);
    this.propertyMappings = new PropertymappingsApi(configuration);
    this.crypto = new CryptoApi(configuration);
    this.core = new CoreApi(configuration);
    this.providers = new ProvidersApi(configuration);
  }

  /**
   * Reads `version_current` from `GET /admin/version/` once and keeps it. Logs a warning for a
   * version newer than the tested release line. A failed read is not kept, so the next call retries.
   */
  async getVersion(): Promise<AuthentikVersion> {
    this.versionRead ??= this.readVersion().catch((error: unknown) => {
      this.versionRead = undefined;
      throw error;
    });
    return this.versionRead;
  }

  async findFlowBySlug(slug: string): Promise<Flow | undefined> {
    await this.requireSupportedVersion();
    const call: CallInfo = { action: `look up the flow "${slug}"`, method: 'GET', route: '/flows/instances/' };
    const flows = await this.listAll(call, (page) => this.flows.flowsInstancesListRaw({ slug, page }), flowSchema);
    const flow = flows.find((candidate) => candidate.slug === slug);
    if (!flow) return undefined;
    return { pk: flow.pk, slug: flow.slug, name: flow.name, designation: flow.designation };
  }

  /**
   * Lists the scope mappings whose `managed` id is one of `managed`. A server that ignored the
   * filter would return every mapping, so the results are filtered again here.
   */
  async findScopeMappings(managed: string[]): Promise<ScopeMapping[]> {
    const wanted = [...new Set(managed)];
    if (wanted.length === 0) return [];
    await this.requireSupportedVersion();

    const call: CallInfo = {
      action: 'list the scope mappings',
      method: 'GET',
      route: '/propertymappings/provider/scope/',
    };
    const mappings = await this.listAll(
      call,
      (page) => this.propertyMappings.propertymappingsProviderScopeListRaw({ managed: wanted, page }),
      scopeMappingSchema,
    );
    const result: ScopeMapping[] = [];
    for (const mapping of mappings) {
      if (mapping.managed === null || !wanted.includes(mapping.managed)) continue;
      result.push({ pk: mapping.pk, managed: mapping.managed, name: mapping.name, scopeName: mapping.scope_name });
    }
    return result;
  }

  /**
   * Lists keypairs with a private key (`has_key=true`). Servers >= 2025.12 report the algorithm
   * as `key_type` and filter by it; older ones report `private_key_type`, so the filter is
   * applied here too.
   */
  async listKeypairsWithPrivateKey(filter: KeypairFilter = {}): Promise<CertificateKeypair[]> {
    const features = await this.requireSupportedVersion();
    const call: CallInfo = {
      action: 'list the certificate keypairs',
      method: 'GET',
      route: '/crypto/certificatekeypairs/',
    };
    const keyTypeFilter =
      features.keyTypeField && filter.keyType !== undefined
        ? [filter.keyType === 'rsa' ? KeyTypeEnum.Rsa : KeyTypeEnum.Ec]
        : undefined;
    const keypairs = await this.listAll(
      call,
      (page) => this.crypto.cryptoCertificatekeypairsListRaw({ hasKey: true, keyType: keyTypeFilter, page }),
      keypairSchema,
    );

    const result: CertificateKeypair[] = [];
    for (const keypair of keypairs) {
      if (!keypair.private_key_available) continue;
      const keyType = keyTypeOf(keypair, features);
      if (filter.keyType !== undefined && keyType !== filter.keyType) continue;
      result.push({ pk: keypair.pk, name: keypair.name, keyType, hasPrivateKey: true });
    }
    return result;
  }

  /**
   * Reads an application by slug; undefined when it does not exist (404).
   * NOTE: authentik filters objects by the token user's permissions, so a token without
   * authentik_core.view_application may get 404 for an existing application. This is not
   * verified against a real server.
   */
  async getApplication(slug: string): Promise<Application | undefined> {
    await this.requireSupportedVersion();
    const call: CallInfo = { action: `read the application "${slug}"`, method: 'GET', route: '/core/applications/{slug}/' };
    const body = await this.requestOrUndefined(
      call,
      () => this.core.coreApplicationsRetrieveRaw({ slug }),
      applicationSchema,
    );
    return body === undefined ? undefined : toApplication(body);
  }

  /** Finds the provider named exactly `name` (`?name=`, every page). */
  async findProviderByName(name: string): Promise<OAuth2Provider | undefined> {
    await this.requireSupportedVersion();
    const call: CallInfo = { action: `look up the OAuth2 provider "${name}"`, method: 'GET', route: '/providers/oauth2/' };
    const providers = await this.listAll(
      call,
      (page) => this.providers.providersOauth2ListRaw({ name, page }),
      oauth2ProviderSchema,
    );
    const provider = providers.find((candidate) => candidate.name === name);
    return provider === undefined ? undefined : this.toProvider(provider, undefined);
  }

  /** Reads a provider; undefined when it does not exist (404). */
  async getProvider(pk: number): Promise<OAuth2Provider | undefined> {
    await this.requireSupportedVersion();
    const call: CallInfo = { action: `read the OAuth2 provider ${pk}`, method: 'GET', route: '/providers/oauth2/{pk}/' };
    const body = await this.requestOrUndefined(
      call,
      () => this.providers.providersOauth2RetrieveRaw({ id: pk }),
      oauth2ProviderSchema,
    );
    return body === undefined ? undefined : this.toProvider(body, undefined);
  }

  /**
   * Creates a confidential provider with one strictly matched redirect URI. On servers >= 2026.5
   * it also sends `fields.grantTypes`, by default authorization_code and refresh_token; older
   * servers have no such field, so nothing is sent there. When the response has no
   * `client_secret`, the returned provider carries the secret that was sent.
   */
  async createProvider(fields: ProviderFields): Promise<OAuth2Provider> {
    const features = await this.requireSupportedVersion();
    const call: CallInfo = { action: `create the OAuth2 provider "${fields.name}"`, method: 'POST', route: '/providers/oauth2/' };
    const request: OAuth2ProviderRequest = {
      name: fields.name,
      authorizationFlow: fields.authorizationFlow,
      invalidationFlow: fields.invalidationFlow,
      redirectUris: [strictRedirectUri(fields.redirectUri)],
      clientType: fields.clientType,
      clientId: fields.clientId,
      clientSecret: this.revealClientSecret(call, fields.clientSecret),
      subMode: toSubMode(call, fields.subMode),
      signingKey: fields.signingKey,
      propertyMappings: fields.propertyMappings,
      encryptionKey: fields.encryptionKey,
      grantTypes: features.grantTypes ? toGrantTypes(call, fields.grantTypes ?? DEFAULT_GRANT_TYPES) : undefined,
    };
    const body = await this.request(
      call,
      () => this.providers.providersOauth2CreateRaw({ oAuth2ProviderRequest: request }),
      oauth2ProviderSchema,
    );
    return this.toProvider(body, fields.clientSecret);
  }

  /**
   * Changes the given fields with PATCH. `fields.grantTypes` is sent only to servers >= 2026.5,
   * and `encryptionKey: null` removes an encryption key.
   */
  async updateProvider(pk: number, fields: Partial<ProviderFields>): Promise<OAuth2Provider> {
    const features = await this.requireSupportedVersion();
    const call: CallInfo = { action: `update the OAuth2 provider ${pk}`, method: 'PATCH', route: '/providers/oauth2/{pk}/' };
    const patch: PatchedOAuth2ProviderRequest = {
      name: fields.name,
      authorizationFlow: fields.authorizationFlow,
      invalidationFlow: fields.invalidationFlow,
      redirectUris: fields.redirectUri === undefined ? undefined : [strictRedirectUri(fields.redirectUri)],
      clientType: fields.clientType,
      clientId: fields.clientId,
      clientSecret: this.revealClientSecret(call, fields.clientSecret),
      subMode: fields.subMode === undefined ? undefined : toSubMode(call, fields.subMode),
      signingKey: fields.signingKey,
      propertyMappings: fields.propertyMappings,
      encryptionKey: fields.encryptionKey,
      grantTypes: features.grantTypes && fields.grantTypes !== undefined ? toGrantTypes(call, fields.grantTypes) : undefined,
    };
    const body = await this.request(
      call,
      () => this.providers.providersOauth2PartialUpdateRaw({ id: pk, patchedOAuth2ProviderRequest: patch }),
      oauth2ProviderSchema,
    );
    return this.toProvider(body, fields.clientSecret);
  }

  /** Deletes a provider; a provider that does not exist (404) counts as deleted. */
  async deleteProvider(pk: number): Promise<void> {
    await this.requireSupportedVersion();
    const call: CallInfo = { action: `delete the OAuth2 provider ${pk}`, method: 'DELETE', route: '/providers/oauth2/{pk}/' };
    await this.deleteOrIgnoreMissing(call, () => this.providers.providersOauth2DestroyRaw({ id: pk }));
  }

  async createApplication(fields: ApplicationFields): Promise<Application> {
    await this.requireSupportedVersion();
    const call: CallInfo = { action: `create the application "${fields.slug}"`, method: 'POST', route: '/core/applications/' };
    const request: ApplicationRequest = {
      name: fields.name,
      slug: fields.slug,
      provider: fields.provider,
      metaLaunchUrl: fields.metaLaunchUrl,
    };
    const body = await this.request(
      call,
      () => this.core.coreApplicationsCreateRaw({ applicationRequest: request }),
      applicationSchema,
    );
    return toApplication(body);
  }

  /** Changes the given fields with PATCH; `fields.slug` renames the application. */
  async updateApplication(slug: string, fields: Partial<ApplicationFields>): Promise<Application> {
    await this.requireSupportedVersion();
    const call: CallInfo = {
      action: `update the application "${slug}"`,
      method: 'PATCH',
      route: '/core/applications/{slug}/',
    };
    const patch: PatchedApplicationRequest = {
      name: fields.name,
      slug: fields.slug,
      provider: fields.provider,
      metaLaunchUrl: fields.metaLaunchUrl,
    };
    const body = await this.request(
      call,
      () => this.core.coreApplicationsPartialUpdateRaw({ slug, patchedApplicationRequest: patch }),
      applicationSchema,
    );
    return toApplication(body);
  }

  /** Deletes an application; an application that does not exist (404) counts as deleted. */
  async deleteApplication(slug: string): Promise<void> {
    await this.requireSupportedVersion();
    const call: CallInfo = {
      action: `delete the application "${slug}"`,
      method: 'DELETE',
      route: '/core/applications/{slug}/',
    };
    await this.deleteOrIgnoreMissing(call, () => this.core.coreApplicationsDestroyRaw({ slug }));
  }

  async getDiscovery(slug: string): Promise<OidcDiscovery> {
    const call: CallInfo = {
      action: `read the OpenID configuration of "${slug}"`,
      method: 'GET',
      route: '/application/o/{slug}/.well-known/openid-configuration',
    };
    const url = `${this.apiUrl}/application/o/${encodeURIComponent(slug)}/.well-known/openid-configuration`;
    const body = await this.fetchUnauthenticated(call, url, discoverySchema);
    return {
      issuer: body.issuer,
      authorizationEndpoint: body.authorization_endpoint,
      tokenEndpoint: body.token_endpoint,
      userinfoEndpoint: body.userinfo_endpoint,
      jwksUri: body.jwks_uri,
      endSessionEndpoint: body.end_session_endpoint,
      idTokenSigningAlgValuesSupported: body.id_token_signing_alg_values_supported,
    };
  }

  async getJwks(slug: string): Promise<Jwk[]> {
    const call: CallInfo = { action: `read the JWKS of "${slug}"`, method: 'GET', route: '/application/o/{slug}/jwks/' };
    const url = `${this.apiUrl}/application/o/${encodeURIComponent(slug)}/jwks/`;
    const body = await this.fetchUnauthenticated(call, url, jwksSchema);
    return body.keys.map((key) => ({ kty: key.kty, kid: key.kid, alg: key.alg }));
  }

  private async readVersion(): Promise<AuthentikVersion> {
    const call: CallInfo = { action: 'read the authentik version', method: 'GET', route: '/admin/version/' };
    const body = await this.request(call, () => this.admin.adminVersionRetrieveRaw(), versionSchema);
    const version = parseVersion(body.version_current);
    if (!version) throw invalidResponseError(call, `version_current "${body.version_current}" is not a version number`);

    const support = checkSupportedVersion(version);
    if (typeof support === 'string') this.logger.warn({ version: version.raw }, support);
    this.logger.debug({ version: version.raw }, 'authentik version read');
    return version;
  }

  /** Reads the version if needed and returns its features; rejects versions older than 2024.10.3. */
  private async requireSupportedVersion(): Promise<VersionFeatures> {
    const version = await this.getVersion();
    const support = checkSupportedVersion(version);
    if (support instanceof EspoSsoError) throw support;
    return featuresOf(version);
  }

  /** Sends one request and returns its JSON body checked against `schema`. */
  private async request<S extends z.ZodType>(
    call: CallInfo,
    send: () => Promise<ApiResponse<unknown>>,
    schema: S,
  ): Promise<z.output<S>> {
    let response: Response;
    try {
      response = (await send()).raw;
    } catch (error) {
      throw await this.toError(call, error);
    }
    return this.readBody(call, response, schema);
  }

  private async requestOrUndefined<S extends z.ZodType>(
    call: CallInfo,
    send: () => Promise<ApiResponse<unknown>>,
    schema: S,
  ): Promise<z.output<S> | undefined> {
    try {
      return await this.request(call, send, schema);
    } catch (error) {
      if (error instanceof EspoSsoError && error.code === 'not_found') return undefined;
      throw error;
    }
  }

  private async deleteOrIgnoreMissing(call: CallInfo, send: () => Promise<ApiResponse<unknown>>): Promise<void> {
    try {
      await send();
    } catch (error) {
      const converted = await this.toError(call, error);
      if (converted.code === 'not_found') {
        this.logger.debug({ route: call.route }, 'object to delete was already gone');
        return;
      }
      throw converted;
    }
  }

  /**
   * Reads every page of a list endpoint. authentik's `pagination.next` is the next page number,
   * or 0 on the last page; `total_pages` bounds the loop as well.
   */
  private async listAll<S extends z.ZodType>(
    call: CallInfo,
    sendPage: (page: number) => Promise<ApiResponse<unknown>>,
    item: S,
  ): Promise<z.output<S>[]> {
    const schema = pageSchema(item);
    const results: z.output<S>[] = [];
    let page = 1;
    for (;;) {
      const body = await this.request(call, () => sendPage(page), schema);
      results.push(...body.results);

      const { next, total_pages: totalPages } = body.pagination;
      if (next === 0 || page >= totalPages) return results;
      if (!Number.isInteger(next) || next <= page) {
        throw invalidResponseError(call, `page ${page} of ${totalPages} names page ${next} as the next one`);
      }
      page = next;
    }
  }

  /** GETs an OIDC endpoint, which needs no Authorization header, and checks its JSON body. */
  private async fetchUnauthenticated<S extends z.ZodType>(call: CallInfo, url: string, schema: S): Promise<z.output<S>> {
    let response: Response;
    try {
      response = await this.fetchApi(url, { method: 'GET', headers: { Accept: 'application/json' } });
    } catch (error) {
      throw await this.toError(call, error);
    }
    if (!response.ok) throw await errorForResponse(call, response, this.secretValues());
    return this.readBody(call, response, schema);
  }

  private async readBody<S extends z.ZodType>(call: CallInfo, response: Response, schema: S): Promise<z.output<S>> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // The timeout signal also covers the body, so a stalled body ends here.
      throw await this.toError(call, error);
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw invalidResponseError(call, 'the body is not JSON', error);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw invalidResponseError(call, describeIssues(parsed.error));
    return parsed.data;
  }

  private async toError(call: CallInfo, error: unknown): Promise<EspoSsoError> {
    return toAuthentikError(call, error, this.secretValues());
  }

  /** Returns the token and the client secrets seen, which error messages must not contain. */
  private secretValues(): string[] {
    return [this.token.reveal(), ...this.clientSecrets];
  }

  /** Returns the value to send, rejecting an empty secret, which authentik would store as is. */
  private revealClientSecret(call: CallInfo, secret: Secret | undefined): string | undefined {
    if (secret === undefined) return undefined;
    const value = secret.reveal();
    if (value === '') {
      throw new EspoSsoError('internal', `Failed to ${call.action}: the client secret to send is empty.`, {
        system: 'authentik',
      });
    }
    this.rememberClientSecret(value);
    return value;
  }

  private rememberClientSecret(value: string): void {
    this.clientSecrets.add(value);
    registerSecretValue(value);
  }

  /** Maps a provider body; `sent` is the secret this request sent, used when the body has none. */
  private toProvider(body: ProviderBody, sent: Secret | undefined): OAuth2Provider {
    let clientSecret: Secret | undefined;
    if (body.client_secret !== undefined && body.client_secret !== null && body.client_secret !== '') {
      this.rememberClientSecret(body.client_secret);
      clientSecret = new Secret(body.client_secret);
    } else {
      clientSecret = sent;
    }

    return {
      pk: body.pk,
      name: body.name,
      clientType: body.client_type,
      clientId: body.client_id,
      clientSecret,
      authorizationFlow: body.authorization_flow,
      invalidationFlow: body.invalidation_flow ?? null,
      redirectUris: body.redirect_uris.map((entry) => ({ matchingMode: entry.matching_mode, url: entry.url })),
      subMode: body.sub_mode,
      signingKey: body.signing_key ?? null,
      encryptionKey: body.encryption_key ?? null,
      propertyMappings: body.property_mappings,
      grantTypes: body.grant_types,
      assignedApplicationSlug: body.assigned_application_slug,
    };
  }
}

/**
 * Returns the key algorithm of a keypair from the field its server version uses, falling back
 * to the other one. Before 2025.12 an EC key is named "ec" or "ellipticcurve".
 */
function keyTypeOf(keypair: KeypairBody, features: VersionFeatures): CertificateKeypair['keyType'] {
  const reported = features.keyTypeField
    ? (keypair.key_type ?? keypair.private_key_type)
    : (keypair.private_key_type ?? keypair.key_type);
  const name = reported?.toLowerCase();
  if (name === 'rsa') return 'rsa';
  if (name === 'ec' || name === 'ellipticcurve') return 'ec';
  return 'unknown';
}

function toApplication(body: ApplicationBody): Application {
  return {
    pk: body.pk,
    slug: body.slug,
    name: body.name,
    provider: body.provider,
    metaLaunchUrl: body.meta_launch_url ?? '',
  };
}

/** Builds a redirect URI entry matched literally, because in regex mode `?` and `.` are metacharacters. */
function strictRedirectUri(url: string): RedirectURIRequest {
  return { matchingMode: MatchingModeEnum.Strict, url };
}

const SUB_MODES: readonly string[] = Object.values(SubModeEnum).filter(
  (mode) => mode !== SubModeEnum.UnknownDefaultOpenApi,
);

function isSubMode(value: string): value is SubModeEnum {
  return SUB_MODES.includes(value);
}

const GRANT_TYPE_VALUES: readonly string[] = Object.values(GrantTypeEnum).filter(
  (grantType) => grantType !== GrantTypeEnum.UnknownDefaultOpenApi,
);

function isGrantType(value: string): value is GrantTypeEnum {
  return GRANT_TYPE_VALUES.includes(value);
}

function toGrantTypes(call: CallInfo, values: readonly string[]): GrantTypeEnum[] {
  const unknown = values.filter((value) => !isGrantType(value));
  if (unknown.length > 0) {
    throw new EspoSsoError(
      'internal',
      `Failed to ${call.action}: ${unknown.map((value) => `"${value}"`).join(', ')} is not an authentik grant type ` +
        `(expected one of ${GRANT_TYPE_VALUES.join(', ')}).`,
      { system: 'authentik' },
    );
  }
  return values.filter(isGrantType);
}

function toSubMode(call: CallInfo, value: string): SubModeEnum {
  if (isSubMode(value)) return value;
  throw new EspoSsoError(
    'internal',
    `Failed to ${call.action}: "${value}" is not an authentik sub_mode (expected one of ${SUB_MODES.join(', ')}).`,
    { system: 'authentik' },
  );
}
