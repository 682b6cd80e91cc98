import { randomBytes } from 'node:crypto';

import { type FakeResponse } from '../common/fake-server';

import { emptyResponse, jsonResponse, statusReasonResponse } from './espo-http';
import { phpJsonEncode, phpToString, phpTruthy, PhpTypeError, phpUrlencode } from './php-semantics';
import { versionAtLeast } from './settings-schema';

/**
 * Values EspoCRM derives from the stored OIDC settings: the login page data
 * (`GET /api/v1/Oidc/authorizationData`), `loginData` in the Settings output, and the logout
 * redirect. Each function reads the stored config as EspoCRM's Oidc\ConfigDataProvider does.
 */

type StoredConfig = ReadonlyMap<string, unknown>;

/** Returns `rtrim(siteUrl, '/')`. Raises PhpTypeError when siteUrl is not a scalar. */
export function siteUrlWithoutTrailingSlash(config: StoredConfig): string {
  return phpToString(config.get('siteUrl') ?? '').replace(/\/+$/, '');
}

/** Returns the stored method as EspoCRM reads it: absent and null mean Espo. */
function storedMethod(config: StoredConfig): unknown {
  return config.get('authenticationMethod') ?? 'Espo';
}

/**
 * Returns the `loginData` entry of `GET /api/v1/Settings`, or null. Only the Oidc method has a
 * login handler in EspoCRM's metadata, so other methods add nothing.
 */
export function loginData(config: StoredConfig): Record<string, unknown> | null {
  if (storedMethod(config) !== 'Oidc') return null;
  return {
    handler: 'handlers/login/oidc',
    fallback: phpTruthy(config.get('oidcFallback')),
    method: 'Oidc',
    data: {},
  };
}

/**
 * Returns the `X-Logout-Redirect-Url` value sent when a token is destroyed, or null: the stored
 * oidcLogoutUrl with {clientId} and {siteUrl} replaced by urlencode()d values.
 */
export function logoutRedirectUrl(config: StoredConfig): string | null {
  if (storedMethod(config) !== 'Oidc') return null;
  const template = config.get('oidcLogoutUrl');
  if (!phpTruthy(template)) return null;

  const clientId = phpToString(config.get('oidcClientId') ?? '');
  return phpToString(template)
    .split('{clientId}')
    .join(phpUrlencode(clientId))
    .split('{siteUrl}')
    .join(phpUrlencode(siteUrlWithoutTrailingSlash(config)));
}

/**
 * Builds the `GET /api/v1/Oidc/authorizationData` response: 403 unless the method is Oidc,
 * 500 without a client id or authorization endpoint. Since 10.0.0 it also carries a PKCE
 * challenge when oidcAuthorizationPkce is on.
 */
export function authorizationDataResponse(config: StoredConfig, version: string): FakeResponse {
  if (storedMethod(config) !== 'Oidc') return emptyResponse(403, { 'X-Status-Reason': '' });

  const clientId = config.get('oidcClientId');
  const endpoint = config.get('oidcAuthorizationEndpoint');
  if (!phpTruthy(clientId)) return statusReasonResponse(500, 'No client ID.');
  if (!phpTruthy(endpoint)) return statusReasonResponse(500, 'No authorization endpoint.');

  const scopes = config.get('oidcScopes') ?? [];
  if (!Array.isArray(scopes)) return emptyResponse(500);

  let redirectUri: string;
  try {
    redirectUri = `${siteUrlWithoutTrailingSlash(config)}/oauth-callback.php`;
  } catch (error) {
    if (error instanceof PhpTypeError) return emptyResponse(500);
    throw error;
  }

  const groupClaim = config.get('oidcGroupClaim');
  const data: Record<string, unknown> = {
    clientId,
    endpoint,
    redirectUri,
    // EspoCRM always puts openid first.
    scopes: ['openid', ...scopes],
    claims: phpTruthy(groupClaim)
      ? phpJsonEncode({ id_token: { [phpToString(groupClaim)]: { essential: true } } })
      : null,
    prompt: config.get('oidcAuthorizationPrompt') ?? 'consent',
    maxAge: config.get('oidcAuthorizationMaxAge') ?? null,
  };

  if (versionAtLeast(version, '10.0.0')) {
    // The code verifier stays in the server's PHP session, so only the challenge leaves it.
    const usesPkce = phpTruthy(config.get('oidcAuthorizationPkce'));
    data.codeChallenge = usesPkce ? randomBytes(32).toString('base64url') : null;
    data.codeChallengeMethod = usesPkce ? 'S256' : null;
  }
  return jsonResponse(data);
}
