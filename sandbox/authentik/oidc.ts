import { type IncomingHttpHeaders } from 'node:http';
import { type FakeRequest, type FakeResponse } from '../common/fake-server';
import { publicJwk, signingAlgorithm } from './keys';
import { type OAuth2ProviderRecord } from './records';
import { type AuthentikStore } from './store';

/**
 * authentik's unauthenticated OpenID Connect endpoints for one application:
 * `/application/o/<slug>/.well-known/openid-configuration` and `/application/o/<slug>/jwks/`.
 */

const CORS_HEADERS = { 'Access-Control-Allow-Origin': '*' };

/** Django's page for an unknown application slug: authentik returns HTML here, not JSON. */
const NOT_FOUND: FakeResponse = {
  status: 404,
  headers: { 'Content-Type': 'text/html; charset=utf-8' },
  body: '<h1>Not Found</h1><p>The requested resource was not found on this server.</p>',
};

/**
 * Grant types the discovery document lists: the fixed list of authentik's discovery view.
 * NOTE: the fake lists them for every version and does not narrow them to a provider's grant_types.
 */
const DISCOVERY_GRANT_TYPES: readonly string[] = [
  'authorization_code',
  'refresh_token',
  'implicit',
  'client_credentials',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
];

/**
 * Returns the scheme and host that every OIDC URL starts with. authentik builds them from the
 * request it received, honouring X-Forwarded-Proto and X-Forwarded-Host from a reverse proxy.
 */
export function requestBaseUrl(headers: IncomingHttpHeaders): string {
  const forwardedHost = firstHeaderValue(headers['x-forwarded-host']);
  const host = forwardedHost ?? headers.host ?? '127.0.0.1';
  const scheme = firstHeaderValue(headers['x-forwarded-proto']) === 'https' ? 'https' : 'http';
  return `${scheme}://${host}`;
}

function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}

function providerForSlug(store: AuthentikStore, slug: string): OAuth2ProviderRecord | undefined {
  const application = store.findApplication(slug);
  if (!application || application.provider === null) return undefined;
  return store.providers.get(application.provider);
}

/**
 * Returns the discovery document. The signing algorithm follows the provider's signing key:
 * RS256 for RSA, ES256 for EC, and HS256 (signed with the client secret) without a key.
 */
export function openIdConfiguration(store: AuthentikStore, request: FakeRequest): FakeResponse {
  const slug = request.params.slug;
  const provider = providerForSlug(store, slug);
  if (!provider) return NOT_FOUND;

  const base = requestBaseUrl(request.headers);
  const oauthBase = `${base}/application/o`;
  const issuer = provider.issuer_mode === 'global' ? `${base}/` : `${oauthBase}/${slug}/`;

  const keypair = store.keypairs.find((candidate) => candidate.pk === provider.signing_key);
  const algorithm = keypair ? signingAlgorithm(keypair.keyType) : 'HS256';

  const scopes = provider.property_mappings
    .map((pk) => store.scopeMappings.find((mapping) => mapping.pk === pk)?.scope_name)
    .filter((scope): scope is string => scope !== undefined);
  if (!scopes.includes('openid')) scopes.push('openid');

  return {
    status: 200,
    headers: CORS_HEADERS,
    body: {
      issuer,
      authorization_endpoint: `${oauthBase}/authorize/`,
      token_endpoint: `${oauthBase}/token/`,
      userinfo_endpoint: `${oauthBase}/userinfo/`,
      end_session_endpoint: `${oauthBase}/${slug}/end-session/`,
      introspection_endpoint: `${oauthBase}/introspect/`,
      revocation_endpoint: `${oauthBase}/revoke/`,
      device_authorization_endpoint: `${oauthBase}/device/`,
      response_types_supported: ['code', 'id_token', 'id_token token', 'code token', 'code id_token', 'code id_token token'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      jwks_uri: `${oauthBase}/${slug}/jwks/`,
      grant_types_supported: [...DISCOVERY_GRANT_TYPES],
      id_token_signing_alg_values_supported: [algorithm],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      scopes_supported: scopes,
      request_parameter_supported: false,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'nonce'],
      claims_parameter_supported: false,
      code_challenge_methods_supported: ['plain', 'S256'],
    },
  };
}

/**
 * Returns the JWKS: the public JWK of the provider's signing key, then of its encryption key.
 * A keypair without a private key is left out, and when no key is left authentik's JWKS view
 * returns `{}`, without a `keys` member.
 */
export async function jwks(store: AuthentikStore, request: FakeRequest): Promise<FakeResponse> {
  const provider = providerForSlug(store, request.params.slug);
  if (!provider) return NOT_FOUND;

  const keys: Record<string, string>[] = [];
  const uses: ['sig' | 'enc', string | null][] = [
    ['sig', provider.signing_key],
    ['enc', provider.encryption_key],
  ];
  for (const [use, pk] of uses) {
    const keypair = store.keypairs.find((candidate) => candidate.pk === pk);
    if (keypair && keypair.hasKey) keys.push(publicJwk(await store.keyMaterial(keypair), use));
  }
  return { status: 200, headers: CORS_HEADERS, body: keys.length > 0 ? { keys } : {} };
}
