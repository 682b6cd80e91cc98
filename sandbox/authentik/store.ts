import { randomUUID } from 'node:crypto';
import { generateKeyMaterial, type KeyMaterial } from './keys';
import {
  type ApplicationRecord,
  type FlowDesignation,
  type FlowRecord,
  type KeyAlgorithm,
  type KeypairRecord,
  type OAuth2ProviderRecord,
  type ScopeMappingRecord,
  clone,
  defaultApplication,
  defaultProvider,
  RESERVED_APPLICATION_SLUGS,
} from './records';
import { type FieldErrors } from './schema';
import { type AuthentikVersion, featuresOf, type VersionFeatures } from './versions';

/**
 * The fake authentik's state and the rules authentik applies on top of the schema: unique names
 * and slugs, references that must exist, one application per provider, reserved slugs.
 * Request bodies reach this module only after they passed the schema validation.
 */

/** A request field or query parameter the imitated version does not know, so the server ignored it. */
export interface IgnoredInput {
  method: string;
  path: string;
  location: 'body' | 'query';
  /** Field name. A field inside a list item is named like `redirect_uris[0].redirect_uri_type`. */
  name: string;
  value: unknown;
}

/** The outcome of a write: the stored record, or DRF-style field errors for a 400. */
export type WriteResult<T> = { ok: true; record: T } | { ok: false; errors: FieldErrors };

export interface KeypairSeed {
  name: string;
  keyType: KeyAlgorithm;
  hasKey: boolean;
  managed?: string | null;
}

export type ProviderSeed = Partial<Omit<OAuth2ProviderRecord, 'pk'>> & { name: string };
export type ApplicationSeed = Partial<Omit<ApplicationRecord, 'pk'>> & { name: string; slug: string };

type Body = Record<string, unknown>;

export class AuthentikStore {
  readonly flows: FlowRecord[] = [];
  readonly scopeMappings: ScopeMappingRecord[] = [];
  readonly keypairs: KeypairRecord[] = [];
  readonly providers = new Map<number, OAuth2ProviderRecord>();
  readonly applications: ApplicationRecord[] = [];
  readonly ignoredInputs: IgnoredInput[] = [];
  private nextProviderPk = 1;
  private readonly keyMaterials = new Map<string, Promise<KeyMaterial>>();

  constructor(public version: AuthentikVersion) {}

  get features(): VersionFeatures {
    return featuresOf(this.version);
  }

  addFlow(slug: string, designation: FlowDesignation, name?: string): FlowRecord {
    const title = name ?? slug;
    const flow: FlowRecord = { pk: randomUUID(), name: title, slug, title, designation };
    this.flows.push(flow);
    return flow;
  }

  addScopeMapping(managed: string | null, name: string, scopeName: string): ScopeMappingRecord {
    const mapping: ScopeMappingRecord = {
      pk: randomUUID(),
      managed,
      name,
      scope_name: scopeName,
      expression: `return {}  # ${scopeName}`,
      description: '',
    };
    this.scopeMappings.push(mapping);
    return mapping;
  }

  addKeypair(seed: KeypairSeed): KeypairRecord {
    const keypair: KeypairRecord = {
      pk: randomUUID(),
      name: seed.name,
      keyType: seed.keyType,
      hasKey: seed.hasKey,
      managed: seed.managed ?? null,
    };
    this.keypairs.push(keypair);

    // Generation starts now so that it is done before the first request needs the key.
    const material = generateKeyMaterial(seed.keyType);
    // Marks a failure as handled here; keyMaterial() still rejects with it.
    material.catch(() => undefined);
    this.keyMaterials.set(keypair.pk, material);
    return keypair;
  }

  /** Returns the keypair's key material once its generation has finished. */
  keyMaterial(keypair: KeypairRecord): Promise<KeyMaterial> {
    const material = this.keyMaterials.get(keypair.pk);
    if (!material) throw new Error(`fake authentik has no key material for keypair ${keypair.pk}`);
    return material;
  }

  /** Resolves when the key material of every keypair added so far has been generated. */
  async keysReady(): Promise<void> {
    await Promise.all(this.keyMaterials.values());
  }

  /**
   * Stores a provider without the API's checks, for seeding pre-existing or orphaned objects.
   * Flows default to the seeded explicit-consent and provider-invalidation flows.
   */
  seedProvider(seed: ProviderSeed): OAuth2ProviderRecord {
    const record = defaultProvider(
      this.nextProviderPk++,
      seed.name,
      this.flowPk('default-provider-authorization-explicit-consent'),
      this.flowPk('default-provider-invalidation-flow'),
      this.features.grantTypes,
    );
    Object.assign(record, clone(seed));
    this.providers.set(record.pk, record);
    return record;
  }

  /** Stores an application without the API's checks, for seeding pre-existing objects. */
  seedApplication(seed: ApplicationSeed): ApplicationRecord {
    const record = defaultApplication(seed.name, seed.slug);
    Object.assign(record, clone(seed));
    this.applications.push(record);
    return record;
  }

  findApplication(slug: string): ApplicationRecord | undefined {
    return this.applications.find((application) => application.slug === slug);
  }

  applicationOfProvider(providerPk: number): ApplicationRecord | undefined {
    return this.applications.find((application) => application.provider === providerPk);
  }

  /**
   * Removes from a provider body the fields the imitated version does not know, as authentik's
   * serializers ignore unknown input, and records each one in `ignoredInputs`.
   */
  dropFieldsUnknownToVersion(method: string, path: string, body: Body): void {
    const features = this.features;
    if (!features.grantTypes && 'grant_types' in body) {
      this.ignoredInputs.push({ method, path, location: 'body', name: 'grant_types', value: clone(body.grant_types) });
      delete body.grant_types;
    }
    if (!features.redirectUriType && Array.isArray(body.redirect_uris)) {
      body.redirect_uris.forEach((item: unknown, index) => {
        if (item === null || typeof item !== 'object' || !('redirect_uri_type' in item)) return;
        const entry = item as Body;
        const name = `redirect_uris[${index}].redirect_uri_type`;
        this.ignoredInputs.push({ method, path, location: 'body', name, value: entry.redirect_uri_type });
        delete entry.redirect_uri_type;
      });
    }
  }

  /** Records a query parameter that the server ignores because the imitated version does not know it. */
  recordIgnoredQuery(method: string, path: string, name: string, values: string[]): void {
    this.ignoredInputs.push({ method, path, location: 'query', name, value: values.length === 1 ? values[0] : values });
  }

  createProvider(body: Body): WriteResult<OAuth2ProviderRecord> {
    const errors = this.providerRuleErrors(body, undefined);
    if (errors) return { ok: false, errors };

    const record = defaultProvider(
      this.nextProviderPk++,
      String(body.name),
      String(body.authorization_flow),
      String(body.invalidation_flow),
      this.features.grantTypes,
    );
    this.applyProviderBody(record, body);
    this.providers.set(record.pk, record);
    return { ok: true, record };
  }

  updateProvider(record: OAuth2ProviderRecord, body: Body): WriteResult<OAuth2ProviderRecord> {
    const errors = this.providerRuleErrors(body, record.pk);
    if (errors) return { ok: false, errors };
    this.applyProviderBody(record, body);
    return { ok: true, record };
  }

  /** Deletes a provider. Its application stays, with `provider: null`, as in authentik. */
  deleteProvider(pk: number): void {
    this.providers.delete(pk);
    for (const application of this.applications) {
      if (application.provider === pk) application.provider = null;
      application.backchannel_providers = application.backchannel_providers.filter((other) => other !== pk);
    }
    for (const provider of this.providers.values()) {
      provider.jwt_federation_providers = provider.jwt_federation_providers.filter((other) => other !== pk);
    }
  }

  createApplication(body: Body): WriteResult<ApplicationRecord> {
    const errors = this.applicationRuleErrors(body, undefined);
    if (errors) return { ok: false, errors };

    const record = defaultApplication(String(body.name), String(body.slug));
    Object.assign(record, clone(body));
    this.applications.push(record);
    return { ok: true, record };
  }

  updateApplication(record: ApplicationRecord, body: Body): WriteResult<ApplicationRecord> {
    const errors = this.applicationRuleErrors(body, record);
    if (errors) return { ok: false, errors };
    Object.assign(record, clone(body));
    return { ok: true, record };
  }

  deleteApplication(record: ApplicationRecord): void {
    const index = this.applications.indexOf(record);
    if (index >= 0) this.applications.splice(index, 1);
  }

  private flowPk(slug: string): string {
    const flow = this.flows.find((candidate) => candidate.slug === slug);
    // A seeded provider needs some flow, so an empty string marks "none found".
    return flow ? flow.pk : '';
  }

  private applyProviderBody(record: OAuth2ProviderRecord, body: Body): void {
    const values = clone(body) as Partial<OAuth2ProviderRecord>;
    if (values.redirect_uris && this.features.redirectUriType) {
      values.redirect_uris = values.redirect_uris.map((entry) => ({
        ...entry,
        redirect_uri_type: entry.redirect_uri_type ?? 'authorization',
      }));
    }
    Object.assign(record, values);
  }

  /** Checks what the schema cannot: uniqueness and that referenced objects exist. */
  providerRuleErrors(body: Body, selfPk: number | undefined): FieldErrors | undefined {
    const errors: FieldErrors = {};
    const others = [...this.providers.values()].filter((provider) => provider.pk !== selfPk);

    if (typeof body.name === 'string' && others.some((provider) => provider.name === body.name)) {
      errors.name = ['Provider with this name already exists.'];
    }
    if (typeof body.client_id === 'string' && others.some((provider) => provider.client_id === body.client_id)) {
      errors.client_id = ['OAuth2/OpenID Provider with this Client ID already exists.'];
    }

    for (const field of ['authorization_flow', 'invalidation_flow', 'authentication_flow']) {
      const value = body[field];
      if (typeof value === 'string' && !this.flows.some((flow) => flow.pk === value)) {
        errors[field] = [invalidPk(value)];
      }
    }

    const missingMapping = stringList(body.property_mappings).find(
      (pk) => !this.scopeMappings.some((mapping) => mapping.pk === pk),
    );
    if (missingMapping !== undefined) errors.property_mappings = [invalidPk(missingMapping)];

    // NOTE: this assumes authentik accepts only keypairs with a private key for signing and
    // encryption, because a keypair without one could not sign a token.
    for (const field of ['signing_key', 'encryption_key']) {
      const value = body[field];
      if (typeof value === 'string' && !this.keypairs.some((keypair) => keypair.pk === value && keypair.hasKey)) {
        errors[field] = [invalidPk(value)];
      }
    }

    // The fake has no sources, so every JWT federation source is unknown.
    const sources = stringList(body.jwt_federation_sources);
    if (sources.length > 0) errors.jwt_federation_sources = [invalidPk(sources[0])];

    const federationProviders = Array.isArray(body.jwt_federation_providers)
      ? (body.jwt_federation_providers as number[])
      : [];
    const missingProvider = federationProviders.find((pk) => !this.providers.has(pk));
    if (missingProvider !== undefined) errors.jwt_federation_providers = [invalidPk(missingProvider)];

    return Object.keys(errors).length > 0 ? errors : undefined;
  }

  /** Checks reserved and duplicate slugs, and that the provider exists and has no other application. */
  applicationRuleErrors(body: Body, self: ApplicationRecord | undefined): FieldErrors | undefined {
    const errors: FieldErrors = {};
    const others = this.applications.filter((application) => application !== self);

    if (typeof body.slug === 'string') {
      if (RESERVED_APPLICATION_SLUGS.includes(body.slug)) {
        errors.slug = [`The slug '${body.slug}' is reserved and cannot be used for applications.`];
      } else if (others.some((application) => application.slug === body.slug)) {
        errors.slug = ['Application with this slug already exists.'];
      }
    }

    if (typeof body.provider === 'number') {
      if (!this.providers.has(body.provider)) {
        errors.provider = [invalidPk(body.provider)];
      } else if (others.some((application) => application.provider === body.provider)) {
        errors.provider = ['Application with this provider already exists.'];
      }
    }

    const backchannel = Array.isArray(body.backchannel_providers) ? (body.backchannel_providers as number[]) : [];
    const missingBackchannel = backchannel.find((pk) => !this.providers.has(pk));
    if (missingBackchannel !== undefined) errors.backchannel_providers = [invalidPk(missingBackchannel)];

    return Object.keys(errors).length > 0 ? errors : undefined;
  }
}

/** DRF's message for a primary key that names no object. */
function invalidPk(value: string | number): string {
  return `Invalid pk "${String(value)}" - object does not exist.`;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
