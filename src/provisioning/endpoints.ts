/**
 * The OIDC URLs EspoCRM needs, built from authentik's public URL. authentik serves every
 * endpoint with a trailing slash and does not redirect the token endpoint, so each URL here
 * ends with `/` (the discovery document excepted).
 */
export interface OidcEndpoints {
  issuer: string;
  authorization: string;
  token: string;
  userinfo: string;
  jwks: string;
  endSession: string;
  discovery: string;
}

/** Builds the endpoints for `slug`; `publicUrl` must be the URL browsers use, never an internal API URL. */
export function buildOidcEndpoints(publicUrl: string, slug: string): OidcEndpoints {
  const base = `${publicUrl.replace(/\/+$/, '')}/application/o`;
  const application = `${base}/${encodeURIComponent(slug)}`;
  return {
    issuer: `${application}/`,
    authorization: `${base}/authorize/`,
    token: `${base}/token/`,
    userinfo: `${base}/userinfo/`,
    jwks: `${application}/jwks/`,
    endSession: `${application}/end-session/`,
    discovery: `${application}/.well-known/openid-configuration`,
  };
}

/** EspoCRM's redirect URI for a `siteUrl`: `rtrim(siteUrl, '/') + '/oauth-callback.php'`. */
export function buildRedirectUri(siteUrl: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/oauth-callback.php`;
}
