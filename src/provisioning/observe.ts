import { createHash } from 'node:crypto';

import {
  type Application,
  type AuthentikVersion,
  type CertificateKeypair,
  type Flow,
  type OAuth2Provider,
  type ScopeMapping,
} from '../authentik/types';
import { EspoSsoError, toEspoSsoError } from '../errors';
import { type EspoSettings, type EspoTeam, type EspoUser } from '../espocrm/types';
import { type PlanIssue, type ProvisioningContext } from './types';
import { MIN_AUTHENTIK_VERSION, compareVersions } from './versions';

/** Managed ids of authentik's built-in scope mappings, by scope name. */
export const SCOPE_MAPPINGS: Record<string, string> = {
  openid: 'goauthentik.io/providers/oauth2/scope-openid',
  email: 'goauthentik.io/providers/oauth2/scope-email',
  profile: 'goauthentik.io/providers/oauth2/scope-profile',
  offline_access: 'goauthentik.io/providers/oauth2/scope-offline_access',
  ak_proxy: 'goauthentik.io/providers/proxy/scope-proxy',
};

/** Source of the provider. `name` means a provider without an application, left by an earlier run. */
export type ProviderSource = 'application' | 'name' | 'none';

/** Both systems' state as read at one moment. Holds no secret, only whether one was readable. */
export interface Observation {
  authentikVersion: AuthentikVersion | undefined;
  authorizationFlow: Flow | undefined;
  invalidationFlow: Flow | undefined;
  scopeMappings: ScopeMapping[];
  keypairs: CertificateKeypair[];
  application: Application | undefined;
  provider: OAuth2Provider | undefined;
  providerSource: ProviderSource;
  /** A provider with the planned name that serves another application. */
  conflictingProvider: OAuth2Provider | undefined;
  espoUser: EspoUser | undefined;
  settings: EspoSettings | undefined;
  teams: EspoTeam[];
  /** Permanent failures met while reading; each stops the plan. */
  issues: PlanIssue[];
  /**
   * Reads that failed with an error listed in `issues`. Their value is empty, which does not mean
   * that authentik or EspoCRM has no such object.
   */
  failedReads: FailedRead[];
}

/** A read whose failure leaves an empty value in an Observation. */
export type FailedRead = 'authorizationFlow' | 'invalidationFlow' | 'scopeMappings' | 'keypairs' | 'teams';

/**
 * Returns whether `observe` reads authentik's objects from a server of this version. Older
 * servers speak another API shape, so only their version is read and the plan reports it.
 */
export function readsAuthentikObjects(version: AuthentikVersion | undefined): boolean {
  return version !== undefined && compareVersions(version.raw, MIN_AUTHENTIK_VERSION) >= 0;
}

/** Returns the provider name the bot uses for an instance: the application's name. */
export function providerName(context: ProvisioningContext): string {
  return context.instance.application.name;
}

/**
 * Runs `read`; a permanent error becomes a plan issue and `undefined`, and `onFailure` runs.
 * Transient errors are thrown so the caller (a job) can retry the whole read.
 */
async function attempt<T>(issues: PlanIssue[], read: () => Promise<T>, onFailure?: () => void): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    const wrapped = toEspoSsoError(error);
    if (wrapped.retryable || wrapped.code === 'internal') throw wrapped;
    // A hint is a sentence, while a fix goes into "Fix: <fix>." and so has no closing period.
    const fix = (wrapped.hint ?? 'see the error above').replace(/\.\s*$/, '');
    issues.push({ code: wrapped.code, message: wrapped.message, fix });
    onFailure?.();
    return undefined;
  }
}

/**
 * Reads everything a plan depends on, with as few sequential rounds as the data allow:
 * the authentik version and the EspoCRM sign-in first (both later reads depend on them),
 * then every other read at once, then the application's provider if it was not found by name.
 */
export async function observe(context: ProvisioningContext): Promise<Observation> {
  const { authentik, espocrm, authentikConfig, instance } = context;
  const issues: PlanIssue[] = [];
  const failedReads: FailedRead[] = [];
  const failed = (read: FailedRead) => () => {
    failedReads.push(read);
  };
  const wantTeams = Object.keys(instance.options.teams).length > 0;

  const [authentikVersion, espoUser] = await Promise.all([
    attempt(issues, () => authentik.getVersion()),
    attempt(issues, () => espocrm.signIn()),
  ]);

  const managedIds = authentikConfig.scopes
    .map((scope) => SCOPE_MAPPINGS[scope])
    .filter((id): id is string => id !== undefined);

  const authentikReads = readsAuthentikObjects(authentikVersion)
    ? Promise.all([
        attempt(issues, () => authentik.findFlowBySlug(authentikConfig.authorizationFlow), failed('authorizationFlow')),
        attempt(issues, () => authentik.findFlowBySlug(authentikConfig.invalidationFlow), failed('invalidationFlow')),
        attempt(issues, () => authentik.findScopeMappings(managedIds), failed('scopeMappings')),
        attempt(issues, () => authentik.listKeypairsWithPrivateKey(), failed('keypairs')),
        attempt(issues, () => authentik.getApplication(instance.application.slug)),
        attempt(issues, () => authentik.findProviderByName(providerName(context))),
      ])
    : Promise.resolve([undefined, undefined, undefined, undefined, undefined, undefined] as const);
  const espoReads = espoUser
    ? Promise.all([
        attempt(issues, () => espocrm.getSettings()),
        wantTeams ? attempt(issues, () => espocrm.listTeams(), failed('teams')) : Promise.resolve([] as EspoTeam[]),
      ])
    : Promise.resolve([undefined, [] as EspoTeam[]] as const);

  const [[authorizationFlow, invalidationFlow, scopeMappings, keypairs, application, namedProvider], [settings, teams]] =
    await Promise.all([authentikReads, espoReads]);

  let provider: OAuth2Provider | undefined;
  let providerSource: ProviderSource = 'none';
  let conflictingProvider: OAuth2Provider | undefined;
  if (application?.provider !== null && application?.provider !== undefined) {
    provider =
      namedProvider?.pk === application.provider
        ? namedProvider
        : await attempt(issues, () => authentik.getProvider(application.provider as number));
    if (provider) providerSource = 'application';
    else {
      issues.push({
        code: 'upstream_rejected',
        message: `authentik application ${application.slug} uses provider ${application.provider}, which is not an OAuth2/OpenID provider.`,
        fix: 'assign an OAuth2/OpenID provider to the application in authentik, or configure another slug',
      });
    }
    if (namedProvider && namedProvider.pk !== application.provider) conflictingProvider = namedProvider;
  } else if (namedProvider) {
    if (namedProvider.assignedApplicationSlug === null || namedProvider.assignedApplicationSlug === instance.application.slug) {
      provider = namedProvider;
      providerSource = 'name';
    } else {
      conflictingProvider = namedProvider;
    }
  }

  return {
    authentikVersion,
    authorizationFlow,
    invalidationFlow,
    scopeMappings: scopeMappings ?? [],
    keypairs: keypairs ?? [],
    application,
    provider,
    providerSource,
    conflictingProvider,
    espoUser,
    settings,
    teams: teams ?? [],
    issues,
    failedReads,
  };
}

/**
 * Hashes the observed state. Secrets never enter the hash, only whether authentik returned one,
 * so the fingerprint can be stored next to the plan.
 */
export function fingerprintObservation(observation: Observation): string {
  const provider = observation.provider;
  const settings = observation.settings;
  const canonical = {
    authentikVersion: observation.authentikVersion?.raw ?? null,
    flows: [observation.authorizationFlow?.pk ?? null, observation.invalidationFlow?.pk ?? null],
    scopeMappings: observation.scopeMappings.map((mapping) => mapping.pk).sort(),
    keypairs: observation.keypairs.map((keypair) => `${keypair.pk}:${keypair.keyType}`).sort(),
    application: observation.application ?? null,
    provider: provider
      ? {
          ...provider,
          clientSecret: provider.clientSecret !== undefined,
          propertyMappings: [...provider.propertyMappings].sort(),
        }
      : null,
    providerSource: observation.providerSource,
    conflictingProvider: observation.conflictingProvider?.pk ?? null,
    espoUser: observation.espoUser?.id ?? null,
    settings: settings ?? null,
    teams: observation.teams.map((team) => `${team.id}:${team.name}`).sort(),
    issues: observation.issues.map((issue) => issue.code),
  };
  return createHash('sha256').update(stableStringify(canonical)).digest('hex');
}

/** Orders strings by UTF-16 code units, as `<` does, so the order never depends on a locale. */
function compareCodePoints(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** Serialises a value as JSON with object keys sorted, so equal states hash equally. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, entry]) => entry !== undefined)
    .sort(([a], [b]) => compareCodePoints(a, b));
  return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableStringify(entry)}`).join(',')}}`;
}

/**
 * Raised when the observed state changed between plan and apply. The configuration decides what
 * is read (the scope mappings, for one), so an edited configuration can change the state too.
 */
export function driftError(planFingerprint: string, currentFingerprint: string): EspoSsoError {
  return new EspoSsoError(
    'drift',
    `authentik, EspoCRM or the configuration changed since the plan was made (plan ${planFingerprint.slice(0, 12)}, now ${currentFingerprint.slice(0, 12)}); nothing was applied.`,
    { hint: 'Review and approve a fresh plan.' },
  );
}
