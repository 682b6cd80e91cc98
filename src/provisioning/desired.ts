import { type CertificateKeypair, type ProviderFields } from '../authentik/types';
import { type OidcSettingsWrite } from '../espocrm/types';
import { buildOidcEndpoints, buildRedirectUri } from './endpoints';
import { type FailedRead, type Observation, SCOPE_MAPPINGS, providerName, readsAuthentikObjects } from './observe';
import { type PlanIssue, type ProvisioningContext } from './types';

/** Provider fields the bot manages, without the client id and secret. */
export type DesiredProvider = Omit<ProviderFields, 'clientId' | 'clientSecret'>;

/** OIDC settings the bot writes, without the client id and secret (known only after the provider step). */
export type DesiredSettings = Omit<OidcSettingsWrite, 'oidcClientId' | 'oidcClientSecret'>;

/** The target state for one instance, derived from the configuration and what was observed. */
export interface DesiredState {
  provider: DesiredProvider | undefined;
  application: { slug: string; name: string; metaLaunchUrl: string };
  settings: DesiredSettings;
  redirectUri: string | undefined;
  signingKey: CertificateKeypair | undefined;
  /** Problems that make the target state impossible or harmful. */
  issues: PlanIssue[];
  warnings: string[];
}

/** Picks the signing key: the configured one, else an RSA keypair with a private key. */
function chooseSigningKey(
  context: ProvisioningContext,
  observation: Observation,
  issues: PlanIssue[],
): CertificateKeypair | undefined {
  const configured = context.authentikConfig.signingKey;
  const rsaKeys = observation.keypairs.filter((keypair) => keypair.keyType === 'rsa' && keypair.hasPrivateKey);
  if (configured !== undefined) {
    const named = observation.keypairs.find((keypair) => keypair.name === configured);
    if (!named) {
      issues.push({
        code: 'not_found',
        message: `authentik has no certificate keypair named "${configured}" with a private key.`,
        fix: 'correct authentik.signingKey, or remove it to use any RSA keypair with a private key',
      });
      return undefined;
    }
    if (named.keyType !== 'rsa') {
      issues.push({
        code: 'upstream_rejected',
        message: `The signing key "${configured}" is ${named.keyType === 'ec' ? 'an EC' : 'a non-RSA'} key; EspoCRM verifies only RSA signatures (RS256).`,
        fix: 'set authentik.signingKey to an RSA keypair (in authentik: System > Certificates > Generate, with algorithm RSA)',
      });
      return undefined;
    }
    return named;
  }
  const preferred = rsaKeys.find((keypair) => keypair.name === 'authentik Self-signed Certificate') ?? rsaKeys[0];
  if (!preferred) {
    const hasEc = observation.keypairs.some((keypair) => keypair.keyType === 'ec');
    issues.push({
      code: 'upstream_rejected',
      message: hasEc
        ? 'authentik has only EC signing keys; EspoCRM verifies only RSA signatures (RS256), so every login would fail.'
        : 'authentik has no RSA certificate keypair with a private key, so ID tokens could not be signed with RS256.',
      fix: 'create an RSA keypair in authentik (System > Certificates > Generate, with algorithm RSA) and set authentik.signingKey to its name',
    });
  }
  return preferred;
}

/** Resolves `options.teams` (team name -> group) to EspoCRM team ids. */
function resolveTeams(
  context: ProvisioningContext,
  observation: Observation,
  issues: PlanIssue[],
): Pick<DesiredSettings, 'oidcTeamsIds' | 'oidcTeamsNames' | 'oidcTeamsColumns'> {
  const ids: string[] = [];
  const names: Record<string, string> = {};
  const columns: Record<string, { group: string }> = {};
  // The team list read failed and its error is in the plan already, so no team counts as missing.
  if (observation.failedReads.includes('teams')) {
    return { oidcTeamsIds: ids, oidcTeamsNames: names, oidcTeamsColumns: columns };
  }
  for (const [teamName, group] of Object.entries(context.instance.options.teams)) {
    const matches = observation.teams.filter((team) => team.name === teamName);
    if (matches.length === 0) {
      issues.push({
        code: 'not_found',
        message: `EspoCRM has no team named "${teamName}".`,
        fix: `create the team in EspoCRM, or correct options.teams of instance ${context.instance.name}`,
      });
      continue;
    }
    if (matches.length > 1) {
      issues.push({
        code: 'upstream_rejected',
        message: `EspoCRM has ${matches.length} teams named "${teamName}", so the mapping is ambiguous.`,
        fix: 'rename the duplicate teams in EspoCRM so that each name is unique',
      });
      continue;
    }
    const team = matches[0];
    if (!team) continue;
    ids.push(team.id);
    names[team.id] = team.name;
    columns[team.id] = { group };
  }
  return { oidcTeamsIds: ids, oidcTeamsNames: names, oidcTeamsColumns: columns };
}

/** Computes the target state of a setup. */
export function computeDesiredState(context: ProvisioningContext, observation: Observation): DesiredState {
  const { authentikConfig, instance } = context;
  const issues: PlanIssue[] = [];
  const warnings: string[] = [];
  const endpoints = buildOidcEndpoints(authentikConfig.url, instance.application.slug);
  const options = instance.options;

  // The redirect URI is what EspoCRM computes from its own siteUrl, so it must match the URL users open.
  let redirectUri: string | undefined;
  const siteUrl = observation.settings?.siteUrl ?? null;
  if (observation.settings) {
    if (siteUrl === null || siteUrl.trim() === '') {
      issues.push({
        code: 'upstream_rejected',
        message: `EspoCRM at ${instance.url} has no siteUrl, from which it builds its OIDC redirect URI.`,
        fix: `set siteUrl to ${instance.url} in EspoCRM's data/config.php`,
      });
    } else if (siteUrl.replace(/\/+$/, '') !== instance.url) {
      issues.push({
        code: 'upstream_rejected',
        message: `EspoCRM's siteUrl is ${siteUrl}, but the configured URL is ${instance.url}; EspoCRM would send the redirect URI ${buildRedirectUri(siteUrl)}, which browsers at ${instance.url} do not use.`,
        fix: `make siteUrl in EspoCRM and url of instance ${instance.name} the same URL users open`,
      });
    } else {
      redirectUri = buildRedirectUri(siteUrl);
    }
  }

  if (!options.fallbackLogin && !options.allowAdminOidcLogin) {
    issues.push({
      code: 'plan_invalid',
      message: `With fallbackLogin false and allowAdminOidcLogin false, no administrator could sign in to ${instance.name} after the switch.`,
      fix: `set options.fallbackLogin or options.allowAdminOidcLogin of instance ${instance.name} to true`,
    });
  }
  if (authentikConfig.subjectMode === 'hashed_user_id') {
    issues.push({
      code: 'plan_invalid',
      message: 'Subject mode hashed_user_id makes 64-character user names; EspoCRM user names have at most 50 characters.',
      fix: 'set authentik.subjectMode to user_username',
    });
  } else if (authentikConfig.subjectMode === 'user_email' || authentikConfig.subjectMode === 'user_upn') {
    warnings.push(
      `Subject mode ${authentikConfig.subjectMode}: users whose ${authentikConfig.subjectMode === 'user_email' ? 'email address' : 'UPN'} is longer than 50 characters cannot sign in to EspoCRM.`,
    );
  }

  // Without authentik's objects (no version read, a version too old to read them, or a failed
  // read) a missing flow, mapping or key does not mean authentik lacks it, so only the version or
  // read error is reported.
  const authentikRead = readsAuthentikObjects(observation.authentikVersion);
  const wasRead = (read: FailedRead): boolean => authentikRead && !observation.failedReads.includes(read);
  if (!observation.authorizationFlow && wasRead('authorizationFlow')) {
    issues.push({
      code: 'not_found',
      message: `authentik has no flow with slug "${authentikConfig.authorizationFlow}".`,
      fix: 'set authentik.authorizationFlow to the slug of an authorization flow, e.g. default-provider-authorization-explicit-consent',
    });
  }
  if (!observation.invalidationFlow && wasRead('invalidationFlow')) {
    issues.push({
      code: 'not_found',
      message: `authentik has no flow with slug "${authentikConfig.invalidationFlow}".`,
      fix: 'set authentik.invalidationFlow to the slug of an invalidation flow, e.g. default-provider-invalidation-flow',
    });
  }
  const mappingPks: string[] = [];
  for (const scope of authentikConfig.scopes) {
    const managed = SCOPE_MAPPINGS[scope];
    const mapping = observation.scopeMappings.find((candidate) => candidate.managed === managed);
    if (mapping) mappingPks.push(mapping.pk);
    else if (wasRead('scopeMappings')) {
      issues.push({
        code: 'not_found',
        message: `authentik has no scope mapping with managed id ${managed ?? scope} (scope ${scope}).`,
        fix: 'restore the built-in scope mappings in authentik, or remove the scope from authentik.scopes',
      });
    }
  }
  const signingKey = wasRead('keypairs') ? chooseSigningKey(context, observation, issues) : undefined;

  const teams = resolveTeams(context, observation, issues);
  const hasTeams = teams.oidcTeamsIds.length > 0;
  if (Object.keys(options.teams).length > 0 && !options.scopes.includes('profile')) {
    warnings.push('authentik sends group names in the profile scope, which options.scopes does not request: team mapping will not work.');
  }

  const provider: DesiredProvider | undefined =
    observation.authorizationFlow && observation.invalidationFlow && signingKey && redirectUri
      ? {
          name: providerName(context),
          authorizationFlow: observation.authorizationFlow.pk,
          invalidationFlow: observation.invalidationFlow.pk,
          redirectUri,
          clientType: 'confidential',
          subMode: authentikConfig.subjectMode,
          signingKey: signingKey.pk,
          propertyMappings: [...mappingPks].sort(),
        }
      : undefined;

  const settings: DesiredSettings = {
    authenticationMethod: 'Oidc',
    oidcAuthorizationEndpoint: endpoints.authorization,
    oidcTokenEndpoint: endpoints.token,
    oidcJwksEndpoint: endpoints.jwks,
    oidcUserInfoEndpoint: endpoints.userinfo,
    oidcJwtSignatureAlgorithmList: ['RS256'],
    oidcScopes: [...options.scopes],
    oidcUsernameClaim: 'sub',
    oidcLogoutUrl: endpoints.endSession,
    oidcFallback: options.fallbackLogin,
    oidcAllowAdminUser: options.allowAdminOidcLogin,
    oidcAllowRegularUserFallback: options.allowRegularUserFallback,
    oidcCreateUser: options.createUsers,
    oidcSync: options.syncUserData,
    oidcSyncTeams: hasTeams && options.syncTeams,
    oidcGroupClaim: hasTeams ? 'groups' : null,
    ...teams,
  };

  return {
    provider,
    application: { slug: instance.application.slug, name: instance.application.name, metaLaunchUrl: instance.url },
    settings,
    redirectUri,
    signingKey,
    issues,
    warnings,
  };
}
