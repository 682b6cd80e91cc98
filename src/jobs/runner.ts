import { type Config } from '../config/load';
import { type UpstreamObserver } from '../http/observer';
import { type Logger } from '../logging/logger';
import { type ApplyOutcome, applyPlan } from '../provisioning/apply';
import { RateLimiterRegistry, planOperation, requireInstance, withContext } from '../provisioning/engine';
import { type Operation, type Plan, type ProgressListener } from '../provisioning/types';

/** What workers need from provisioning; tests may replace it, the product uses `createEngineRunner`. */
export interface ProvisioningRunner {
  plan(instance: string, operation: Operation, options: { purge: boolean; correlationId: string }): Promise<Plan>;
  apply(
    instance: string,
    plan: Plan,
    options: { correlationId: string; resume: boolean; onProgress: ProgressListener },
  ): Promise<ApplyOutcome>;
  /** Whether EspoCRM's login page uses OIDC now, from its public settings; undefined when unreachable. */
  ssoEnabled(instance: string): Promise<boolean | undefined>;
}

/** The runner over the real clients. One rate limiter registry is shared by every job of the process. */
export function createEngineRunner(config: Config, logger: Logger, observer?: UpstreamObserver): ProvisioningRunner {
  const rateLimiters = new RateLimiterRegistry();
  const dependencies = (correlationId: string) => ({ logger, observer, rateLimiters, correlationId, signOutInBackground: true });
  return {
    plan: (name, operation, options) =>
      withContext(config, requireInstance(config, name), dependencies(options.correlationId), (context) =>
        planOperation(context, operation, { purge: options.purge }),
      ),
    apply: (name, plan, options) =>
      withContext(config, requireInstance(config, name), dependencies(options.correlationId), (context) =>
        applyPlan(context, plan, { resume: options.resume, onProgress: options.onProgress }),
      ),
    ssoEnabled: async (name) => {
      const instance = requireInstance(config, name);
      try {
        return await withContext(config, instance, dependencies(`list-${name}`), async (context) => {
          const publicSettings = await context.espocrm.getPublicSettings();
          return publicSettings.loginData?.method === 'Oidc';
        });
      } catch (error) {
        logger.warn({ instance: name, err: error instanceof Error ? { message: error.message } : String(error) }, 'could not read public settings');
        return undefined;
      }
    },
  };
}
