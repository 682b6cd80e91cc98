import { type OAuth2Provider } from '../authentik/types';
import { toEspoSsoError } from '../errors';
import { type OidcSettingsWrite } from '../espocrm/types';
import { buildOidcEndpoints } from './endpoints';
import { stableStringify } from './observe';
import { type ProvisioningContext, type VerifyCheck } from './types';
import { isAtLeast } from './versions';

/** Compares the managed fields of what was written with what EspoCRM returns; the secret is never read back. */
export function compareWrittenSettings(
  written: OidcSettingsWrite,
  stored: Record<string, unknown>,
  espoVersion: string,
): string[] {
  const mismatches: string[] = [];
  for (const [field, value] of Object.entries(written)) {
    if (field === 'oidcClientSecret') continue;
    if (field === 'oidcUserInfoEndpoint' && !isAtLeast(espoVersion, '9.1.0')) continue;
    if (stableStringify(stored[field] ?? null) !== stableStringify(value ?? null)) mismatches.push(field);
  }
  return mismatches;
}

async function check(name: string, run: () => Promise<string>): Promise<VerifyCheck> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: toEspoSsoError(error).message };
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/**
 * Checks a finished setup from both sides: authentik's discovery document and JWKS, EspoCRM's
 * settings read back, what EspoCRM's login page shows, and the redirect URI on both sides.
 * All reads run at once.
 */
export async function verifySetup(
  context: ProvisioningContext,
  provider: OAuth2Provider,
  written: OidcSettingsWrite,
  redirectUri: string,
): Promise<VerifyCheck[]> {
  const { authentik, espocrm, authentikConfig, instance } = context;
  const slug = instance.application.slug;
  const publicEndpoints = buildOidcEndpoints(authentikConfig.url, slug);
  // authentik builds discovery URLs from the host the request reached, so a bot that calls an
  // internal apiUrl sees that host; the path must match either way.
  const apiEndpoints = buildOidcEndpoints(authentikConfig.apiUrl, slug);

  return Promise.all([
    check('authentik discovery document', async () => {
      const discovery = await authentik.getDiscovery(slug);
      const endpoints = discovery.issuer === apiEndpoints.issuer ? apiEndpoints : publicEndpoints;
      expect(discovery.issuer === endpoints.issuer, `issuer is ${discovery.issuer}, expected ${publicEndpoints.issuer}`);
      expect(
        discovery.authorizationEndpoint === endpoints.authorization,
        `authorization endpoint is ${discovery.authorizationEndpoint}, expected ${endpoints.authorization}`,
      );
      expect(discovery.tokenEndpoint === endpoints.token, `token endpoint is ${discovery.tokenEndpoint}, expected ${endpoints.token}`);
      expect(discovery.jwksUri === endpoints.jwks, `JWKS URI is ${discovery.jwksUri}, expected ${endpoints.jwks}`);
      expect(
        discovery.idTokenSigningAlgValuesSupported.includes('RS256'),
        `ID tokens are signed with ${discovery.idTokenSigningAlgValuesSupported.join(', ') || 'nothing'}, not RS256`,
      );
      return `issuer ${publicEndpoints.issuer}, RS256`;
    }),
    check('authentik JWKS has an RSA key', async () => {
      const keys = await authentik.getJwks(slug);
      const rsa = keys.filter((key) => key.kty === 'RSA');
      expect(rsa.length > 0, keys.length === 0 ? 'the JWKS is empty' : `the JWKS has no RSA key (${keys.map((key) => key.kty).join(', ')})`);
      return `${rsa.length} RSA key(s)`;
    }),
    check('EspoCRM settings read back', async () => {
      const settings = await espocrm.getSettings();
      const mismatches = compareWrittenSettings(written, settings as unknown as Record<string, unknown>, settings.version);
      expect(mismatches.length === 0, `fields differ from what was written: ${mismatches.join(', ')}`);
      return 'every written field matches';
    }),
    check('EspoCRM login page uses OIDC', async () => {
      const publicSettings = await espocrm.getPublicSettings();
      expect(publicSettings.loginData?.method === 'Oidc', `the login method shown to visitors is ${publicSettings.loginData?.method ?? 'EspoCRM\'s own'}`);
      return `fallback login ${publicSettings.loginData?.fallback ? 'on' : 'off'}`;
    }),
    check('redirect URI equal on both sides', async () => {
      const data = await espocrm.getAuthorizationData();
      expect(data !== undefined, 'EspoCRM does not serve OIDC authorization data');
      const registered = provider.redirectUris.map((uri) => `${uri.matchingMode} ${uri.url}`);
      expect(
        registered.length === 1 && registered[0] === `strict ${redirectUri}`,
        `authentik has ${registered.join(', ') || 'no redirect URI'}, expected strict ${redirectUri}`,
      );
      expect(data?.redirectUri === redirectUri, `EspoCRM sends ${data?.redirectUri ?? '(none)'}, authentik expects ${redirectUri}`);
      expect(data?.clientId === provider.clientId, `EspoCRM sends client id ${data?.clientId ?? '(none)'}, authentik has ${provider.clientId}`);
      return redirectUri;
    }),
  ]);
}

/** Checks that EspoCRM is back on its own login after a disable. */
export async function verifyDisabled(context: ProvisioningContext, purged: boolean): Promise<VerifyCheck[]> {
  const { authentik, espocrm, instance } = context;
  const checks = [
    check('EspoCRM login page uses its own login', async () => {
      const publicSettings = await espocrm.getPublicSettings();
      expect(publicSettings.loginData === undefined, `the login method shown to visitors is ${publicSettings.loginData?.method ?? ''}`);
      return 'username and password';
    }),
  ];
  if (purged) {
    checks.push(
      check('authentik application deleted', async () => {
        const application = await authentik.getApplication(instance.application.slug);
        expect(application === undefined, `application ${instance.application.slug} still exists`);
        return `${instance.application.slug} is gone`;
      }),
    );
  }
  return Promise.all(checks);
}
