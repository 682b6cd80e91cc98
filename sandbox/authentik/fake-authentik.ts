import { FakeServer } from '../common/fake-server';
import { type AccessSettings, type ApiContext, denyAccess } from './api-common';
import { registerApplicationRoutes } from './application-routes';
import { registerLookupRoutes } from './lookup-routes';
import { jwks, openIdConfiguration } from './oidc';
import { registerProviderRoutes } from './provider-routes';
import {
  type ApplicationRecord,
  clone,
  type FlowDesignation,
  type FlowRecord,
  type KeypairRecord,
  type OAuth2ProviderRecord,
  type ScopeMappingRecord,
} from './records';
import { type ApplicationSeed, AuthentikStore, type IgnoredInput, type KeypairSeed, type ProviderSeed } from './store';
import { type AuthentikVersion } from './versions';

/**
 * A fake authentik server for tests and the offline demo. It serves the part of the REST API
 * (/api/v3) and the OpenID Connect endpoints that a client rolling out OAuth2 single sign-on
 * uses. Every request body is validated against authentik's own OpenAPI schema and the server's
 * rules (unique names and slugs, reserved slugs, existing references). The fake is stricter than
 * the real server where leniency would hide bugs, so it rejects unknown body keys.
 *
 * Version modes differ as the real servers do. Only 2026.8 has `grant_types` and
 * `redirect_uri_type`, and older modes ignore both and record them in `ignoredInputs()`.
 * Only 2026.8 reports `key_type` on keypairs and filters by it. Older modes report
 * `private_key_type` instead and ignore the filter.
 * NOTE: apart from those fields, every mode validates requests against the 2026.8.3 schema and
 * returns its shapes, so fields that older servers lack (e.g. `refresh_token_threshold`,
 * `logout_uri`) are accepted in every mode.
 */

/** Signing keys seeded as `authentik Self-signed Certificate`. */
export type SeedKeys = 'rsa' | 'ec-only' | 'none';

export interface FakeAuthentikOptions {
  /** Version mode, '2026.8' by default. */
  version?: AuthentikVersion;
  /** The API token the fake accepts, 'ak-test-token' by default. */
  token?: string;
  /** Permission codenames the token has, e.g. 'authentik_providers_oauth2.view_oauth2provider'. Default: all. */
  permissions?: Set<string>;
  /** Delay added to every response, in milliseconds. */
  latencyMs?: number;
  /**
   * The seeded keypair: an RSA key with its private key ('rsa', default), only an EC key
   * ('ec-only'), or no keypair at all ('none').
   */
  keys?: SeedKeys;
}

/** Managed ids of the scope mappings authentik ships and the fake seeds, with their scope names. */
export const SEEDED_SCOPE_MAPPINGS: readonly { managed: string; name: string; scopeName: string }[] = [
  { managed: 'goauthentik.io/providers/oauth2/scope-openid', name: "authentik default OAuth Mapping: OpenID 'openid'", scopeName: 'openid' },
  { managed: 'goauthentik.io/providers/oauth2/scope-email', name: "authentik default OAuth Mapping: OpenID 'email'", scopeName: 'email' },
  { managed: 'goauthentik.io/providers/oauth2/scope-profile', name: "authentik default OAuth Mapping: OpenID 'profile'", scopeName: 'profile' },
  {
    managed: 'goauthentik.io/providers/oauth2/scope-offline_access',
    name: "authentik default OAuth Mapping: OpenID 'offline_access'",
    scopeName: 'offline_access',
  },
  { managed: 'goauthentik.io/providers/proxy/scope-proxy', name: 'authentik default OAuth Mapping: Proxy outpost', scopeName: 'ak_proxy' },
];

/** Flows the fake seeds, by slug. */
export const SEEDED_FLOWS: readonly { slug: string; designation: FlowDesignation; name: string }[] = [
  { slug: 'default-provider-authorization-explicit-consent', designation: 'authorization', name: 'Authorize Application' },
  { slug: 'default-provider-authorization-implicit-consent', designation: 'authorization', name: 'Authorize Application' },
  { slug: 'default-provider-invalidation-flow', designation: 'invalidation', name: 'Logged out of application' },
  { slug: 'default-invalidation-flow', designation: 'invalidation', name: 'Logout' },
];

export const SEEDED_KEYPAIR_NAME = 'authentik Self-signed Certificate';

export class FakeAuthentik {
  readonly server: FakeServer;
  private readonly store: AuthentikStore;
  private readonly access: AccessSettings;

  constructor(options: FakeAuthentikOptions = {}) {
    this.store = new AuthentikStore(options.version ?? '2026.8');
    this.access = {
      token: options.token ?? 'ak-test-token',
      permissions: options.permissions ? new Set(options.permissions) : undefined,
    };
    this.server = new FakeServer({ name: 'fake authentik', latencyMs: options.latencyMs });

    this.seed(options.keys ?? 'rsa');

    const context: ApiContext = {
      store: this.store,
      deny: (request, permission) => denyAccess(this.access, request, permission),
    };
    registerLookupRoutes(this.server, context);
    registerProviderRoutes(this.server, context);
    registerApplicationRoutes(this.server, context);
    this.server.route('GET', '/application/o/:slug/.well-known/openid-configuration', (request) =>
      openIdConfiguration(this.store, request),
    );
    this.server.route('GET', '/application/o/:slug/jwks/', (request) => jwks(this.store, request));
  }

  /**
   * Starts listening on 127.0.0.1 and returns the base URL. Port 0 picks a free port. Waits for
   * the seeded keys first, so no request waits for key generation.
   */
  async start(port = 0): Promise<string> {
    await this.store.keysReady();
    return this.server.start(port);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. Throws before `start()`. */
  get url(): string {
    return this.server.url;
  }

  get version(): AuthentikVersion {
    return this.store.version;
  }

  /** Switches the version mode, e.g. to imitate an upgrade between two runs. Stored objects stay. */
  setVersion(version: AuthentikVersion): void {
    this.store.version = version;
  }

  /** Replaces the token's permission codenames. Undefined grants every permission. */
  setPermissions(permissions: Set<string> | undefined): void {
    this.access.permissions = permissions ? new Set(permissions) : undefined;
  }

  /** Stored providers, client secrets included, ordered by pk. Copies: changing them changes nothing. */
  providers(): OAuth2ProviderRecord[] {
    return [...this.store.providers.values()].sort((a, b) => a.pk - b.pk).map(clone);
  }

  /** Stored applications in creation order (copies). */
  applications(): ApplicationRecord[] {
    return this.store.applications.map(clone);
  }

  flows(): FlowRecord[] {
    return this.store.flows.map(clone);
  }

  /** Returns the flow with this slug. Throws when there is none, so a test names its mistake. */
  flow(slug: string): FlowRecord {
    const flow = this.store.flows.find((candidate) => candidate.slug === slug);
    if (!flow) throw new Error(`fake authentik has no flow with slug "${slug}"`);
    return clone(flow);
  }

  scopeMappings(): ScopeMappingRecord[] {
    return this.store.scopeMappings.map(clone);
  }

  keypairs(): KeypairRecord[] {
    return this.store.keypairs.map(clone);
  }

  /**
   * Request fields and query parameters the imitated version does not know and therefore
   * ignored, e.g. `grant_types` sent to a 2025.10 server.
   */
  ignoredInputs(): IgnoredInput[] {
    return this.store.ignoredInputs.map(clone);
  }

  addFlow(slug: string, designation: FlowDesignation, name?: string): FlowRecord {
    return clone(this.store.addFlow(slug, designation, name));
  }

  addScopeMapping(managed: string | null, name: string, scopeName: string): ScopeMappingRecord {
    return clone(this.store.addScopeMapping(managed, name, scopeName));
  }

  /** Adds a keypair. Its key is generated in the background, and requests that need it wait. */
  addKeypair(seed: KeypairSeed): KeypairRecord {
    return clone(this.store.addKeypair(seed));
  }

  /**
   * Stores a provider directly, without the API's validation, e.g. an orphan left by an earlier
   * failed run. Omitted fields get authentik's defaults and fresh credentials.
   */
  addProvider(seed: ProviderSeed): OAuth2ProviderRecord {
    return clone(this.store.seedProvider(seed));
  }

  /** Stores an application directly, without the API's validation. */
  addApplication(seed: ApplicationSeed): ApplicationRecord {
    return clone(this.store.seedApplication(seed));
  }

  private seed(keys: SeedKeys): void {
    for (const flow of SEEDED_FLOWS) this.store.addFlow(flow.slug, flow.designation, flow.name);
    for (const mapping of SEEDED_SCOPE_MAPPINGS) {
      this.store.addScopeMapping(mapping.managed, mapping.name, mapping.scopeName);
    }
    if (keys === 'rsa') this.store.addKeypair({ name: SEEDED_KEYPAIR_NAME, keyType: 'rsa', hasKey: true });
    if (keys === 'ec-only') this.store.addKeypair({ name: SEEDED_KEYPAIR_NAME, keyType: 'ec', hasKey: true });
  }
}
