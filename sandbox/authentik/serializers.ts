import { type KeyMaterial } from './keys';
import {
  type ApplicationRecord,
  type FlowRecord,
  type KeypairRecord,
  type OAuth2ProviderRecord,
  type ScopeMappingRecord,
  clone,
} from './records';
import { type AuthentikStore } from './store';

/**
 * Response bodies shaped like the schema's components (Flow, ScopeMapping, CertificateKeyPair,
 * OAuth2Provider, Provider, Application), including the read-only fields authentik computes.
 */

type Json = Record<string, unknown>;

/** Expiry the fake reports for every certificate. */
const CERTIFICATE_EXPIRY = '2035-01-01T00:00:00Z';

export function serializeFlow(flow: FlowRecord): Json {
  return {
    pk: flow.pk,
    policybindingmodel_ptr_id: flow.pk,
    name: flow.name,
    slug: flow.slug,
    title: flow.title,
    designation: flow.designation,
    background: '',
    background_url: '/static/dist/assets/images/flow_background.jpg',
    background_themed_urls: null,
    stages: [],
    policies: [],
    cache_count: 0,
    policy_engine_mode: 'any',
    compatibility_mode: false,
    export_url: `/api/v3/flows/instances/${flow.slug}/export/`,
    layout: 'stacked',
    denied_action: 'message_continue',
    authentication: 'none',
  };
}

export function serializeScopeMapping(mapping: ScopeMappingRecord): Json {
  return {
    pk: mapping.pk,
    managed: mapping.managed,
    name: mapping.name,
    expression: mapping.expression,
    component: 'ak-property-mapping-provider-scope-form',
    verbose_name: 'Scope Mapping',
    verbose_name_plural: 'Scope Mappings',
    meta_model_name: 'authentik_providers_oauth2.scopemapping',
    scope_name: mapping.scope_name,
    description: mapping.description,
  };
}

/**
 * Serializes a keypair. Servers >= 2025.12 report the algorithm as `key_type` (from the
 * certificate, so also without a private key); older ones as `private_key_type`, which is null
 * when no private key is stored.
 */
export function serializeKeypair(store: AuthentikStore, keypair: KeypairRecord, material: KeyMaterial): Json {
  const result: Json = {
    pk: keypair.pk,
    name: keypair.name,
    fingerprint_sha256: material.fingerprintSha256,
    fingerprint_sha1: material.fingerprintSha1,
    cert_expiry: CERTIFICATE_EXPIRY,
    cert_subject: `CN=${keypair.name}`,
    private_key_available: keypair.hasKey,
  };
  if (store.features.keyTypeField) {
    result.key_type = keypair.keyType;
  } else {
    result.private_key_type = keypair.hasKey ? keypair.keyType : null;
  }
  result.certificate_download_url = `/api/v3/crypto/certificatekeypairs/${keypair.pk}/view_certificate/?download`;
  result.private_key_download_url = `/api/v3/crypto/certificatekeypairs/${keypair.pk}/view_private_key/?download`;
  result.managed = keypair.managed;
  return result;
}

/** Returns the generic Provider shape, used for an application's `provider_obj`. */
export function serializeProviderSummary(store: AuthentikStore, provider: OAuth2ProviderRecord): Json {
  const application = store.applicationOfProvider(provider.pk);
  return {
    pk: provider.pk,
    name: provider.name,
    authentication_flow: provider.authentication_flow,
    authorization_flow: provider.authorization_flow,
    invalidation_flow: provider.invalidation_flow,
    property_mappings: [...provider.property_mappings],
    component: 'ak-provider-oauth2-form',
    assigned_application_slug: application ? application.slug : null,
    assigned_application_name: application ? application.name : null,
    assigned_backchannel_application_slug: null,
    assigned_backchannel_application_name: null,
    verbose_name: 'OAuth2/OpenID Provider',
    verbose_name_plural: 'OAuth2/OpenID Providers',
    meta_model_name: 'authentik_providers_oauth2.oauth2provider',
  };
}

/** Returns the full OAuth2Provider shape, with `grant_types` only where the imitated version has it. */
export function serializeProvider(store: AuthentikStore, provider: OAuth2ProviderRecord): Json {
  const result: Json = {
    ...serializeProviderSummary(store, provider),
    client_type: provider.client_type,
  };
  // NOTE: a provider stored by an older mode has no grant_types and reports [] after an upgrade.
  // What authentik's own migration sets for such providers is not modelled.
  if (store.features.grantTypes) result.grant_types = [...(provider.grant_types ?? [])];

  const redirectUris = store.features.redirectUriType
    ? provider.redirect_uris.map((entry) => ({ ...entry, redirect_uri_type: entry.redirect_uri_type ?? 'authorization' }))
    : provider.redirect_uris.map((entry) => ({ matching_mode: entry.matching_mode, url: entry.url }));

  Object.assign(result, {
    client_id: provider.client_id,
    client_secret: provider.client_secret,
    access_code_validity: provider.access_code_validity,
    access_token_validity: provider.access_token_validity,
    refresh_token_validity: provider.refresh_token_validity,
    refresh_token_threshold: provider.refresh_token_threshold,
    include_claims_in_id_token: provider.include_claims_in_id_token,
    signing_key: provider.signing_key,
    encryption_key: provider.encryption_key,
    redirect_uris: redirectUris,
    logout_uri: provider.logout_uri,
    logout_method: provider.logout_method,
    sub_mode: provider.sub_mode,
    issuer_mode: provider.issuer_mode,
    jwt_federation_sources: clone(provider.jwt_federation_sources),
    jwt_federation_providers: clone(provider.jwt_federation_providers),
  });
  return result;
}

export function serializeApplication(store: AuthentikStore, application: ApplicationRecord): Json {
  const provider = application.provider === null ? undefined : store.providers.get(application.provider);
  const backchannel = application.backchannel_providers
    .map((pk) => store.providers.get(pk))
    .filter((candidate): candidate is OAuth2ProviderRecord => candidate !== undefined);
  return {
    pk: application.pk,
    pbm_uuid: application.pk,
    name: application.name,
    slug: application.slug,
    provider: application.provider,
    provider_obj: provider ? serializeProviderSummary(store, provider) : null,
    backchannel_providers: [...application.backchannel_providers],
    backchannel_providers_obj: backchannel.map((candidate) => serializeProviderSummary(store, candidate)),
    launch_url: launchUrl(application, provider),
    open_in_new_tab: application.open_in_new_tab,
    meta_launch_url: application.meta_launch_url,
    meta_icon: application.meta_icon,
    meta_icon_url: null,
    meta_icon_themed_urls: null,
    meta_description: application.meta_description,
    meta_publisher: application.meta_publisher,
    policy_engine_mode: application.policy_engine_mode,
    group: application.group,
    meta_hide: application.meta_hide,
  };
}

/**
 * authentik's launch URL: `meta_launch_url` when set, else the first redirect URI of an OAuth2
 * provider with its path removed, else null.
 */
function launchUrl(application: ApplicationRecord, provider: OAuth2ProviderRecord | undefined): string | null {
  if (application.meta_launch_url !== '') return application.meta_launch_url;
  const first = provider?.redirect_uris[0];
  if (!first) return null;
  try {
    const url = new URL(first.url);
    return `${url.protocol}//${url.host}`;
  } catch {
    return null;
  }
}
