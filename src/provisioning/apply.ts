import { type OAuth2Provider, type ProviderFields } from '../authentik/types';
import { type Secret } from '../config/secret';
import { EspoSsoError, toEspoSsoError } from '../errors';
import { type EspoSettings, type OidcSettingsWrite } from '../espocrm/types';
import { computeDesiredState } from './desired';
import { type Observation, driftError, observe, stableStringify } from './observe';
import { GRANT_TYPES, buildPlan, needsGrantTypes } from './plan';
import { generateClientSecret } from './secret-generator';
import {
  type ApplyResult,
  type Change,
  type Plan,
  type ProgressListener,
  type ProvisioningContext,
  type VerifyCheck,
} from './types';
import { compareWrittenSettings, verifyDisabled, verifySetup } from './verify';

export interface ApplyOptions {
  onProgress?: ProgressListener;
  /**
   * Accept a changed state when every remaining change was part of the approved plan. A job
   * that resumes after its worker died sees the objects it created itself; with this option it
   * finishes the work instead of reporting drift.
   */
  resume?: boolean;
}

/** An ApplyResult that also carries the fresh plan when the state drifted. */
export interface ApplyOutcome extends ApplyResult {
  /** On drift: the plan for the state as it is now, to be reviewed again. */
  freshPlan?: Plan;
}

/** Undo actions recorded while applying, run in reverse order after a failure. */
interface Undo {
  /** Past-tense summary of `run`, listed in `undone`, e.g. "deleted application espocrm-acme". */
  description: string;
  /** State left when `run` fails, listed in `leftBehind`, e.g. "application espocrm-acme still exists". */
  remains: string;
  run: () => Promise<void>;
}

/** The current managed EspoCRM settings as a complete write, to restore or to modify. */
export function settingsAsWrite(settings: EspoSettings): OidcSettingsWrite {
  return {
    authenticationMethod: settings.authenticationMethod,
    oidcClientId: settings.oidcClientId,
    oidcAuthorizationEndpoint: settings.oidcAuthorizationEndpoint,
    oidcTokenEndpoint: settings.oidcTokenEndpoint,
    oidcJwksEndpoint: settings.oidcJwksEndpoint,
    oidcUserInfoEndpoint: settings.oidcUserInfoEndpoint ?? null,
    oidcJwtSignatureAlgorithmList: settings.oidcJwtSignatureAlgorithmList,
    oidcScopes: settings.oidcScopes,
    oidcUsernameClaim: settings.oidcUsernameClaim,
    oidcLogoutUrl: settings.oidcLogoutUrl,
    oidcFallback: settings.oidcFallback,
    oidcAllowAdminUser: settings.oidcAllowAdminUser,
    oidcAllowRegularUserFallback: settings.oidcAllowRegularUserFallback,
    oidcCreateUser: settings.oidcCreateUser,
    oidcSync: settings.oidcSync,
    oidcSyncTeams: settings.oidcSyncTeams,
    oidcGroupClaim: settings.oidcGroupClaim,
    oidcTeamsIds: settings.oidcTeamsIds,
    oidcTeamsNames: settings.oidcTeamsNames,
    oidcTeamsColumns: settings.oidcTeamsColumns,
  };
}

function changeKey(change: Change): string {
  return `${change.system}|${change.field}|${change.next ?? ''}`;
}

/**
 * Whether `fresh` only repeats what `approved` planned: true when the state moved because an
 * earlier attempt of the same approved plan got part of the way. Secret rows and the
 * application's provider reference are ignored, because they name objects the attempt created.
 */
export function isContinuation(approved: Plan, fresh: Plan): boolean {
  if (approved.operation !== fresh.operation || fresh.errors.length > 0) return false;
  const ignored = new Set(['client_secret', 'oidcClientSecret', 'provider', 'oidcClientId']);
  const planned = new Set(approved.changes.map(changeKey));
  return fresh.changes.every((change) => ignored.has(change.field) || planned.has(changeKey(change)));
}

async function report(options: ApplyOptions, step: string, status: 'started' | 'done' | 'failed' | 'skipped', detail?: string): Promise<void> {
  if (!options.onProgress) return;
  await options.onProgress(detail === undefined ? { step, status } : { step, status, detail });
}

/** Runs `work` as one reported step. */
async function step<T>(options: ApplyOptions, name: string, work: () => Promise<T>): Promise<T> {
  await report(options, name, 'started');
  try {
    const result = await work();
    await report(options, name, 'done');
    return result;
  } catch (error) {
    await report(options, name, 'failed', toEspoSsoError(error).message);
    throw error;
  }
}

/**
 * Applies an approved plan. It re-reads both systems first and stops with a `drift` error and a
 * fresh plan when the state is not the one the plan was made from. After a failure it undoes
 * what this run created or changed, in reverse order, and lists what it undid.
 */
export async function applyPlan(context: ProvisioningContext, plan: Plan, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const base: ApplyOutcome = {
    ok: false,
    planId: plan.id,
    operation: plan.operation,
    instance: plan.instance,
    changes: plan.changes,
    clientId: plan.summary.clientId,
    loginUrl: context.instance.url,
    checks: [],
    undone: [],
    leftBehind: [],
  };
  if (plan.operation === 'status') {
    throw new EspoSsoError('plan_invalid', 'A status plan only reads; there is nothing to apply.');
  }

  const observation = await step(options, 'Read authentik and EspoCRM', () => observe(context));
  const fresh = buildPlan(context, observation, plan.operation, { purge: plan.purge });
  if (fresh.errors.length > 0) {
    const first = fresh.errors[0];
    return {
      ...base,
      error: {
        code: 'plan_invalid',
        message: fresh.errors.map((issue) => issue.message).join(' '),
        hint: first ? `Fix: ${first.fix}.` : undefined,
        retryable: false,
      },
    };
  }
  // The fingerprint covers the observed state only. Comparing the changes as well ties the apply
  // to the configuration the plan was made with, so an edited configuration is never applied unreviewed.
  const stateChanged = fresh.fingerprint !== plan.fingerprint;
  const changesDiffer = stableStringify(fresh.changes) !== stableStringify(plan.changes);
  // A resumed attempt finds its own earlier work, which moves the state but adds no change.
  // NOTE: a resumed attempt also passes when the configuration was edited, as long as the state
  // moved and the edit only drops changes of the approved plan.
  const resumable = options.resume === true && stateChanged && isContinuation(plan, fresh);
  if ((stateChanged || changesDiffer) && !resumable) {
    const drift = stateChanged ? driftError(plan.fingerprint, fresh.fingerprint) : configurationChangedError(plan.instance);
    return {
      ...base,
      freshPlan: fresh,
      error: { code: 'drift', message: drift.message, hint: drift.hint, retryable: false },
    };
  }

  const undo: Undo[] = [];
  try {
    const outcome =
      plan.operation === 'setup'
        ? await applySetup(context, observation, fresh, undo, options)
        : plan.operation === 'rotate'
          ? await applyRotate(context, observation, undo, options)
          : await applyDisable(context, observation, plan.purge, options);
    const failed = outcome.checks.filter((check) => !check.ok);
    if (failed.length > 0) {
      return {
        ...base,
        ...outcome,
        error: {
          code: 'verify_failed',
          message: `The change was applied but ${failed.length} check(s) failed: ${failed.map((check) => `${check.name}: ${check.detail}`).join('; ')}.`,
          hint: 'Compare the failed checks with the settings in authentik and EspoCRM, then run status.',
          retryable: false,
        },
      };
    }
    return { ...base, ...outcome, ok: true };
  } catch (error) {
    const wrapped = toEspoSsoError(error);
    context.logger.warn({ err: { code: wrapped.code, message: wrapped.message }, instance: plan.instance }, 'apply failed, rolling back');
    const undone: string[] = [];
    const leftBehind: string[] = [];
    for (const action of undo.reverse()) {
      try {
        await action.run();
        undone.push(action.description);
      } catch (undoError) {
        leftBehind.push(`${action.remains}: ${toEspoSsoError(undoError).message}`);
      }
    }
    if (undo.length > 0) await report(options, 'Roll back', leftBehind.length === 0 ? 'done' : 'failed', undone.join('; '));
    return {
      ...base,
      undone,
      leftBehind,
      error: { code: wrapped.code, message: wrapped.message, hint: wrapped.hint, retryable: wrapped.retryable },
    };
  }
}

/** Raised when the state is unchanged but the configuration now gives other changes than the plan. */
function configurationChangedError(instance: string): EspoSsoError {
  return new EspoSsoError(
    'drift',
    `The configuration of instance ${instance} changed since the plan was made, so the plan no longer shows what an apply would do; nothing was applied.`,
    { hint: 'Review and approve a fresh plan.' },
  );
}

interface StepOutcome {
  clientId: string | null;
  checks: VerifyCheck[];
}

async function applySetup(
  context: ProvisioningContext,
  observation: Observation,
  plan: Plan,
  undo: Undo[],
  options: ApplyOptions,
): Promise<StepOutcome> {
  const { authentik, espocrm, instance } = context;
  const desired = computeDesiredState(context, observation);
  const target = desired.provider;
  const settings = observation.settings;
  if (!target || !settings || !desired.redirectUri) {
    throw new EspoSsoError('internal', 'The plan has no target provider although it has no errors.');
  }
  const generate = context.generateSecret ?? (() => generateClientSecret());
  const existing = observation.provider;
  const secret: Secret | undefined = plan.summary.newSecret ? generate() : existing?.clientSecret;
  if (!secret) throw new EspoSsoError('internal', 'No client secret is available for EspoCRM.');

  let provider: OAuth2Provider;
  if (!existing) {
    const grantTypes = needsGrantTypes(observation, undefined) ? { grantTypes: GRANT_TYPES } : {};
    provider = await step(options, 'Create authentik provider', () =>
      authentik.createProvider({ ...target, ...grantTypes, clientSecret: secret }),
    );
    const pk = provider.pk;
    undo.push({
      description: `deleted provider "${provider.name}" (pk ${pk})`,
      remains: `provider "${provider.name}" (pk ${pk}) still exists`,
      run: () => authentik.deleteProvider(pk),
    });
  } else {
    const fields = changedProviderFields(existing, target, observation);
    if (plan.summary.newSecret) fields.clientSecret = secret;
    if (Object.keys(fields).length > 0) {
      provider = await step(options, 'Update authentik provider', () => authentik.updateProvider(existing.pk, fields));
      const { previous, notRestorable } = previousProviderFields(existing, fields);
      const restored = Object.keys(previous).join(', ');
      if (restored !== '') {
        undo.push({
          description: `restored provider "${existing.name}" (${restored})`,
          remains: `provider "${existing.name}" keeps the new ${restored}`,
          run: async () => {
            await authentik.updateProvider(existing.pk, previous);
          },
        });
      }
      if (notRestorable.length > 0) {
        // An entry that always fails, so the rollback lists these fields under leftBehind.
        undo.push({
          description: `restored provider "${existing.name}" (${notRestorable.join(', ')})`,
          remains: `provider "${existing.name}" keeps the new ${notRestorable.join(', ')}`,
          run: () =>
            Promise.reject(new EspoSsoError('internal', 'the authentik client cannot set their previous values back')),
        });
      }
    } else {
      provider = existing;
      await report(options, 'Update authentik provider', 'skipped', 'no changes');
    }
  }

  const application = observation.application;
  const applicationFields = { ...desired.application, provider: provider.pk };
  if (!application) {
    await step(options, 'Create authentik application', () => authentik.createApplication(applicationFields));
    undo.push({
      description: `deleted application ${instance.application.slug}`,
      remains: `application ${instance.application.slug} still exists`,
      run: () => authentik.deleteApplication(instance.application.slug),
    });
  } else if (
    application.name !== applicationFields.name ||
    application.provider !== applicationFields.provider ||
    application.metaLaunchUrl !== applicationFields.metaLaunchUrl
  ) {
    await step(options, 'Update authentik application', () => authentik.updateApplication(application.slug, applicationFields));
    undo.push({
      description: `restored application ${application.slug}`,
      remains: `application ${application.slug} keeps its new name, provider and launch URL`,
      run: async () => {
        await authentik.updateApplication(application.slug, {
          name: application.name,
          metaLaunchUrl: application.metaLaunchUrl,
          ...(application.provider === null ? {} : { provider: application.provider }),
        });
      },
    });
  } else {
    await report(options, 'Update authentik application', 'skipped', 'no changes');
  }

  const written: OidcSettingsWrite = { ...desired.settings, oidcClientId: provider.clientId, oidcClientSecret: secret };
  if (plan.summary.espocrm === 'update') {
    await step(options, 'Write EspoCRM settings', async () => {
      // Registered before the write: a timeout may hide a write that went through.
      const previous = settingsAsWrite(settings);
      undo.push({
        description: 'restored the previous EspoCRM settings',
        remains: 'EspoCRM may keep the new OIDC settings',
        run: async () => {
          await espocrm.writeSettings(settings.version, previous);
        },
      });
      const stored = await espocrm.writeSettings(settings.version, written);
      const mismatches = compareWrittenSettings(written, stored as unknown as Record<string, unknown>, settings.version);
      if (mismatches.length > 0) {
        throw new EspoSsoError('verify_failed', `EspoCRM stored different values for ${mismatches.join(', ')}.`, {
          system: 'espocrm',
          hint: 'Check for an EspoCRM extension that rewrites settings.',
        });
      }
    });
  } else {
    await report(options, 'Write EspoCRM settings', 'skipped', 'no changes');
  }

  const checks = await step(options, 'Verify', () => verifySetup(context, provider, written, desired.redirectUri as string));
  return { clientId: provider.clientId, checks };
}

function changedProviderFields(existing: OAuth2Provider, target: Omit<ProviderFields, 'clientId' | 'clientSecret'>, observation: Observation): Partial<ProviderFields> {
  const fields: Partial<ProviderFields> = {};
  if (existing.name !== target.name) fields.name = target.name;
  if (existing.clientType !== target.clientType) fields.clientType = target.clientType;
  if (existing.authorizationFlow !== target.authorizationFlow) fields.authorizationFlow = target.authorizationFlow;
  if (existing.invalidationFlow !== target.invalidationFlow) fields.invalidationFlow = target.invalidationFlow;
  const uris = existing.redirectUris;
  if (uris.length !== 1 || uris[0]?.matchingMode !== 'strict' || uris[0]?.url !== target.redirectUri) {
    fields.redirectUri = target.redirectUri;
  }
  if (existing.subMode !== target.subMode) fields.subMode = target.subMode;
  if (existing.signingKey !== target.signingKey) fields.signingKey = target.signingKey;
  if ([...existing.propertyMappings].sort().join() !== target.propertyMappings.join()) {
    fields.propertyMappings = target.propertyMappings;
  }
  if (existing.encryptionKey !== null) fields.encryptionKey = null;
  if (needsGrantTypes(observation, existing)) fields.grantTypes = GRANT_TYPES;
  return fields;
}

/**
 * Computes the provider fields that undo `changed`, and names the changed fields that cannot be
 * set back. ProviderFields takes one strict redirect URI, a signing key and only a null encryption
 * key, so an empty or longer redirect URI list, no signing key, a public client type or an
 * encryption key stay changed.
 */
function previousProviderFields(
  existing: OAuth2Provider,
  changed: Partial<ProviderFields>,
): { previous: Partial<ProviderFields>; notRestorable: string[] } {
  const previous: Partial<ProviderFields> = {};
  const notRestorable: string[] = [];
  if (changed.name !== undefined) previous.name = existing.name;
  if (changed.clientType !== undefined) notRestorable.push('client_type');
  if (changed.authorizationFlow !== undefined) previous.authorizationFlow = existing.authorizationFlow;
  if (changed.invalidationFlow !== undefined) {
    if (existing.invalidationFlow !== null) previous.invalidationFlow = existing.invalidationFlow;
    else notRestorable.push('invalidation_flow');
  }
  if (changed.redirectUri !== undefined) {
    const only = existing.redirectUris.length === 1 ? existing.redirectUris[0] : undefined;
    if (only?.matchingMode === 'strict') previous.redirectUri = only.url;
    else notRestorable.push('redirect_uris');
  }
  if (changed.subMode !== undefined) previous.subMode = existing.subMode;
  if (changed.signingKey !== undefined) {
    if (existing.signingKey !== null) previous.signingKey = existing.signingKey;
    else notRestorable.push('signing_key');
  }
  if (changed.encryptionKey !== undefined) notRestorable.push('encryption_key');
  if (changed.propertyMappings !== undefined) previous.propertyMappings = existing.propertyMappings;
  if (changed.grantTypes !== undefined && existing.grantTypes !== undefined) previous.grantTypes = existing.grantTypes;
  if (changed.clientSecret !== undefined) {
    if (existing.clientSecret !== undefined) previous.clientSecret = existing.clientSecret;
    else notRestorable.push('client_secret');
  }
  return { previous, notRestorable };
}

async function applyRotate(
  context: ProvisioningContext,
  observation: Observation,
  undo: Undo[],
  options: ApplyOptions,
): Promise<StepOutcome> {
  const { authentik, espocrm } = context;
  const provider = observation.provider;
  const settings = observation.settings;
  if (!provider || !settings) throw new EspoSsoError('internal', 'A rotate plan without a provider or settings.');
  const secret = (context.generateSecret ?? (() => generateClientSecret()))();

  const updated = await step(options, 'Set a new secret in authentik', () => authentik.updateProvider(provider.pk, { clientSecret: secret }));
  const oldSecret = provider.clientSecret;
  undo.push({
    description: `restored the previous client secret of provider "${provider.name}"`,
    remains: `provider "${provider.name}" keeps the new client secret, which EspoCRM does not have`,
    run: async () => {
      if (!oldSecret) throw new EspoSsoError('internal', 'the previous secret is unknown; run rotate again');
      await authentik.updateProvider(provider.pk, { clientSecret: oldSecret });
    },
  });

  const written: OidcSettingsWrite = { ...settingsAsWrite(settings), oidcClientId: updated.clientId, oidcClientSecret: secret };
  await step(options, 'Set the new secret in EspoCRM', async () => {
    // Registered before the write: a failure after it (a lost response, a failed read-back) may
    // hide a write that went through, and EspoCRM must end with the secret authentik gets back.
    if (oldSecret) {
      const previous: OidcSettingsWrite = { ...settingsAsWrite(settings), oidcClientSecret: oldSecret };
      undo.push({
        description: 'restored the previous EspoCRM settings',
        remains: 'EspoCRM may keep the new client secret',
        run: async () => {
          await espocrm.writeSettings(settings.version, previous);
        },
      });
    }
    await espocrm.writeSettings(settings.version, written);
  });
  const redirectUri = updated.redirectUris[0]?.url ?? '';
  const checks = await step(options, 'Verify', () => verifySetup(context, updated, written, redirectUri));
  return { clientId: updated.clientId, checks };
}

async function applyDisable(
  context: ProvisioningContext,
  observation: Observation,
  purge: boolean,
  options: ApplyOptions,
): Promise<StepOutcome> {
  const { authentik, espocrm, instance } = context;
  const settings = observation.settings;
  if (!settings) throw new EspoSsoError('internal', 'A disable plan without EspoCRM settings.');
  const needsWrite = settings.authenticationMethod !== 'Espo' || (purge && settings.oidcClientId !== null);
  if (needsWrite) {
    await step(options, 'Switch EspoCRM to its own login', async () => {
      await espocrm.writeSettings(settings.version, {
        ...settingsAsWrite(settings),
        authenticationMethod: 'Espo',
        ...(purge ? { oidcClientId: null } : {}),
      });
    });
  } else {
    await report(options, 'Switch EspoCRM to its own login', 'skipped', 'already on its own login');
  }
  if (purge) {
    if (observation.application) {
      await step(options, 'Delete authentik application', () => authentik.deleteApplication(instance.application.slug));
    }
    const provider = observation.provider;
    if (provider) {
      await step(options, 'Delete authentik provider', () => authentik.deleteProvider(provider.pk));
    }
  }
  const checks = await step(options, 'Verify', () => verifyDisabled(context, purge));
  return { clientId: null, checks };
}
