import { randomUUID } from 'node:crypto';

import { type OAuth2Provider } from '../authentik/types';
import { type EspoSettings } from '../espocrm/types';
import { type DesiredState, computeDesiredState } from './desired';
import { type Observation, fingerprintObservation, providerName, stableStringify } from './observe';
import {
  type Change,
  type Operation,
  type Plan,
  type PlanIssue,
  type PlanSummary,
  type ProvisioningContext,
} from './types';
import {
  MAX_TESTED_AUTHENTIK_VERSION,
  MIN_AUTHENTIK_VERSION,
  MIN_ESPOCRM_VERSION,
  compareVersions,
  isAtLeast,
  parseVersion,
} from './versions';

/** Grant types a provider needs on authentik 2026.5 and later, where API-created providers get none. */
export const GRANT_TYPES = ['authorization_code', 'refresh_token'];

export interface PlanOptions {
  /** With `disable`: also delete the authentik application and provider. */
  purge?: boolean;
}

function show(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return stableStringify(value);
}

function checkVersions(observation: Observation, issues: PlanIssue[], warnings: string[]): void {
  const authentikVersion = observation.authentikVersion?.raw;
  if (authentikVersion !== undefined) {
    if (compareVersions(authentikVersion, MIN_AUTHENTIK_VERSION) < 0) {
      issues.push({
        code: 'unsupported_version',
        message: `authentik ${authentikVersion} is not supported; the minimum is ${MIN_AUTHENTIK_VERSION}.`,
        fix: `upgrade authentik to ${MIN_AUTHENTIK_VERSION} or later`,
      });
    } else {
      const parsed = parseVersion(authentikVersion);
      const tested = parseVersion(MAX_TESTED_AUTHENTIK_VERSION);
      if (parsed && tested && (parsed[0] > tested[0] || (parsed[0] === tested[0] && parsed[1] > tested[1]))) {
        warnings.push(`authentik ${authentikVersion} is newer than the newest version tested (${MAX_TESTED_AUTHENTIK_VERSION}).`);
      }
    }
  }
  const espoVersion = observation.settings?.version;
  if (espoVersion !== undefined && compareVersions(espoVersion, MIN_ESPOCRM_VERSION) < 0) {
    issues.push({
      code: 'unsupported_version',
      message: `EspoCRM ${espoVersion} has no OIDC login; the minimum is ${MIN_ESPOCRM_VERSION}.`,
      fix: `upgrade EspoCRM to ${MIN_ESPOCRM_VERSION} or later`,
    });
  }
}

/** Lists the fields of `provider` that differ from the target, as changes. */
function providerChanges(
  desired: DesiredState,
  observation: Observation,
  provider: OAuth2Provider | undefined,
  object: string,
  grantTypesNeeded: boolean,
): Change[] {
  const target = desired.provider;
  if (!target) return [];
  const flowName = (pk: string | null | undefined): string | null => {
    if (pk === null || pk === undefined) return null;
    if (pk === observation.authorizationFlow?.pk) return observation.authorizationFlow.slug;
    if (pk === observation.invalidationFlow?.pk) return observation.invalidationFlow.slug;
    return pk;
  };
  const keyName = (pk: string | null | undefined): string | null => {
    if (pk === null || pk === undefined) return null;
    return observation.keypairs.find((keypair) => keypair.pk === pk)?.name ?? pk;
  };
  const mappingNames = (pks: string[]): string =>
    pks
      .map((pk) => observation.scopeMappings.find((mapping) => mapping.pk === pk)?.scopeName ?? pk)
      .sort()
      .join(', ');

  const rows: Array<[string, string | null, string | null]> = [
    ['name', provider?.name ?? null, target.name],
    ['client_type', provider?.clientType ?? null, target.clientType],
    ['authorization_flow', flowName(provider?.authorizationFlow), flowName(target.authorizationFlow)],
    ['invalidation_flow', flowName(provider?.invalidationFlow), flowName(target.invalidationFlow)],
    [
      'redirect_uris',
      provider ? provider.redirectUris.map((uri) => `${uri.matchingMode} ${uri.url}`).join(', ') || '(none)' : null,
      `strict ${target.redirectUri}`,
    ],
    ['sub_mode', provider?.subMode ?? null, target.subMode],
    ['signing_key', keyName(provider?.signingKey), keyName(target.signingKey)],
    ['encryption_key', provider ? (keyName(provider.encryptionKey) ?? '(none)') : null, '(none)'],
    ['property_mappings', provider ? mappingNames(provider.propertyMappings) : null, mappingNames(target.propertyMappings)],
  ];
  if (grantTypesNeeded) {
    rows.push(['grant_types', provider ? (provider.grantTypes ?? []).join(', ') || '(none)' : null, GRANT_TYPES.join(', ')]);
  }
  return rows
    .filter(([, current, next]) => current !== next)
    .map(([field, current, next]) => ({
      system: 'authentik' as const,
      object,
      action: provider ? ('update' as const) : ('create' as const),
      field,
      current,
      next,
    }));
}

/** Returns whether a provider lacks the grant types that authentik 2026.5 and later need. */
export function needsGrantTypes(observation: Observation, provider: OAuth2Provider | undefined): boolean {
  const version = observation.authentikVersion?.raw;
  if (version === undefined || !isAtLeast(version, '2026.5')) return false;
  if (!provider) return true;
  const current = provider.grantTypes ?? [];
  return !GRANT_TYPES.every((grant) => current.includes(grant));
}

/** Managed EspoCRM fields that differ from the target, as changes. */
function settingsChanges(
  settings: EspoSettings,
  target: Record<string, unknown>,
): Change[] {
  const changes: Change[] = [];
  const current = settings as unknown as Record<string, unknown>;
  for (const [field, next] of Object.entries(target)) {
    if (field === 'oidcUserInfoEndpoint' && !isAtLeast(settings.version, '9.1.0')) continue;
    const now = current[field];
    if (stableStringify(now ?? null) === stableStringify(next ?? null)) continue;
    changes.push({ system: 'espocrm', object: 'settings', action: 'update', field, current: show(now), next: show(next) });
  }
  return changes;
}

/** Builds the plan of `operation` from an observation. Pure: it reads nothing itself. */
export function buildPlan(
  context: ProvisioningContext,
  observation: Observation,
  operation: Operation,
  options: PlanOptions = {},
): Plan {
  const { instance } = context;
  const errors: PlanIssue[] = [...observation.issues];
  const warnings: string[] = [];
  checkVersions(observation, errors, warnings);

  const desired = computeDesiredState(context, observation);
  const provider = observation.provider;
  const settings = observation.settings;
  const ssoEnabled = settings?.authenticationMethod === 'Oidc';
  const changes: Change[] = [];
  const summary: PlanSummary = {
    provider: 'none',
    application: 'none',
    espocrm: 'keep',
    newSecret: false,
    clientId: provider?.clientId ?? null,
    redirectUri: desired.redirectUri ?? null,
    loginUrl: instance.url,
    authentikVersion: observation.authentikVersion?.raw ?? null,
    espocrmVersion: settings?.version ?? null,
    ssoEnabled,
  };

  if (observation.conflictingProvider && operation !== 'disable') {
    errors.push({
      code: 'upstream_rejected',
      message: `authentik provider "${observation.conflictingProvider.name}" already serves application ${observation.conflictingProvider.assignedApplicationSlug ?? '(another)'}.`,
      fix: `rename that provider in authentik, or change application.name of instance ${instance.name}`,
    });
  }

  if (operation === 'setup' || operation === 'status') {
    errors.push(...desired.issues);
    warnings.push(...desired.warnings);
    planSetup(context, observation, desired, changes, warnings, summary);
  } else if (operation === 'rotate') {
    planRotate(context, observation, desired, changes, errors, warnings, summary);
  } else {
    planDisable(observation, changes, warnings, summary, options.purge ?? false);
  }

  return {
    formatVersion: 1,
    id: randomUUID(),
    operation,
    instance: instance.name,
    purge: operation === 'disable' && (options.purge ?? false),
    createdAt: (context.now?.() ?? new Date()).toISOString(),
    fingerprint: fingerprintObservation(observation),
    changes,
    warnings,
    errors,
    summary,
  };
}

function planSetup(
  context: ProvisioningContext,
  observation: Observation,
  desired: DesiredState,
  changes: Change[],
  warnings: string[],
  summary: PlanSummary,
): void {
  const { instance } = context;
  const provider = observation.provider;
  const providerObject = `provider "${providerName(context)}"`;
  const grantTypes = needsGrantTypes(observation, provider);

  const providerRows = providerChanges(desired, observation, provider, providerObject, grantTypes);
  changes.push(...providerRows);
  if (!provider) {
    summary.provider = 'create';
    summary.newSecret = true;
    changes.push({ system: 'authentik', object: providerObject, action: 'create', field: 'client_secret', current: null, next: 'set' });
  } else {
    summary.provider = providerRows.length > 0 ? 'update' : 'keep';
    if (observation.providerSource === 'name') summary.provider = 'adopt';
    if (observation.providerSource === 'name') {
      warnings.push(`Adopting provider "${provider.name}" (pk ${provider.pk}), left without an application by an earlier run.`);
    }
    if (provider.clientSecret === undefined) {
      summary.newSecret = true;
      warnings.push('authentik did not return the provider\'s client secret, so a new one is set in both systems.');
      changes.push({ system: 'authentik', object: providerObject, action: 'update', field: 'client_secret', current: 'hidden', next: 'changed' });
    }
    const signingKeyChanged = providerRows.some((row) => row.field === 'signing_key');
    if (signingKeyChanged && summary.ssoEnabled) {
      warnings.push('The signing key changes: EspoCRM caches the JWKS for 10 minutes, so logins may fail until its cache expires.');
    }
  }

  const application = observation.application;
  const applicationObject = `application ${instance.application.slug}`;
  const target = desired.application;
  const providerReference = provider ? String(provider.pk) : '(the new provider)';
  if (!application) {
    summary.application = 'create';
    changes.push(
      { system: 'authentik', object: applicationObject, action: 'create', field: 'name', current: null, next: target.name },
      { system: 'authentik', object: applicationObject, action: 'create', field: 'provider', current: null, next: providerReference },
      { system: 'authentik', object: applicationObject, action: 'create', field: 'meta_launch_url', current: null, next: target.metaLaunchUrl },
    );
  } else {
    const rows: Array<[string, string | null, string]> = [
      ['name', application.name, target.name],
      ['provider', application.provider === null ? null : String(application.provider), providerReference],
      ['meta_launch_url', application.metaLaunchUrl || null, target.metaLaunchUrl],
    ];
    for (const [field, current, next] of rows) {
      if (current !== next) changes.push({ system: 'authentik', object: applicationObject, action: 'update', field, current, next });
    }
    summary.application = rows.some(([, current, next]) => current !== next) ? 'update' : 'keep';
  }

  if (observation.settings) {
    const clientId = provider?.clientId ?? null;
    const target: Record<string, unknown> = { ...desired.settings, oidcClientId: clientId ?? '(assigned by authentik)' };
    const rows = settingsChanges(observation.settings, target);
    changes.push(...rows);
    if (rows.length > 0 || summary.newSecret) {
      summary.espocrm = 'update';
      changes.push({
        system: 'espocrm',
        object: 'settings',
        action: 'update',
        field: 'oidcClientSecret',
        current: 'hidden',
        next: summary.newSecret ? 'changed' : "set to authentik's current secret",
      });
    }
    // EspoCRM accepts a password sign-in under OIDC only with oidcFallback, and the bot signs in
    // with its password on every run.
    if (!context.instance.options.fallbackLogin) {
      warnings.push(
        'options.fallbackLogin is false, so after the switch EspoCRM rejects every password sign-in, including the bot\'s. ' +
          'Later status, rotate and disable runs fail until an administrator sets oidcFallback to true in EspoCRM.',
      );
    }
  }
}

function planRotate(
  context: ProvisioningContext,
  observation: Observation,
  desired: DesiredState,
  changes: Change[],
  errors: PlanIssue[],
  warnings: string[],
  summary: PlanSummary,
): void {
  const provider = observation.provider;
  if (!provider || !observation.application || observation.settings?.authenticationMethod !== 'Oidc') {
    errors.push({
      code: 'plan_invalid',
      message: `Single sign-on is not set up for ${context.instance.name}, so there is no secret to rotate.`,
      fix: `run setup for ${context.instance.name} first`,
    });
    return;
  }
  if (observation.settings.oidcClientId !== provider.clientId) {
    warnings.push(
      `EspoCRM uses client id ${observation.settings.oidcClientId ?? '(none)'}, not the provider's ${provider.clientId}; the rotation writes the provider's client id too.`,
    );
  }
  const drift = providerChanges(desired, observation, provider, '', false).length;
  if (drift > 0) warnings.push(`The provider differs from the configuration in ${drift} field(s); run setup to correct them.`);
  summary.provider = 'update';
  summary.espocrm = 'update';
  summary.newSecret = true;
  summary.application = 'keep';
  changes.push(
    { system: 'authentik', object: `provider "${provider.name}"`, action: 'update', field: 'client_secret', current: 'hidden', next: 'changed' },
    { system: 'espocrm', object: 'settings', action: 'update', field: 'oidcClientSecret', current: 'hidden', next: 'changed' },
  );
}

function planDisable(
  observation: Observation,
  changes: Change[],
  warnings: string[],
  summary: PlanSummary,
  purge: boolean,
): void {
  const settings = observation.settings;
  if (settings && settings.authenticationMethod !== 'Espo') {
    summary.espocrm = 'update';
    changes.push({ system: 'espocrm', object: 'settings', action: 'update', field: 'authenticationMethod', current: settings.authenticationMethod, next: 'Espo' });
    warnings.push('Users created through single sign-on have no EspoCRM password; they need a password reset to sign in.');
  }
  if (!purge) return;
  if (settings && settings.oidcClientId !== null) {
    summary.espocrm = 'update';
    changes.push({ system: 'espocrm', object: 'settings', action: 'update', field: 'oidcClientId', current: settings.oidcClientId, next: null });
  }
  const application = observation.application;
  if (application) {
    summary.application = 'delete';
    changes.push({ system: 'authentik', object: `application ${application.slug}`, action: 'delete', field: '(object)', current: application.name, next: null });
  }
  const provider = observation.provider;
  if (provider) {
    summary.provider = 'delete';
    changes.push({ system: 'authentik', object: `provider "${provider.name}"`, action: 'delete', field: '(object)', current: `pk ${provider.pk}`, next: null });
  }
}

/** Returns whether a plan may be applied. */
export function isApplicable(plan: Plan): boolean {
  return plan.errors.length === 0 && plan.operation !== 'status';
}
