import { AuthentikClient } from '../authentik/client';
import { type Config, type InstanceConfig } from '../config/load';
import { EspoSsoError } from '../errors';
import { EspoCrmClient } from '../espocrm/client';
import { type UpstreamObserver, newCorrelationId } from '../http/observer';
import { RateLimiter } from '../http/rate-limiter';
import { type Logger } from '../logging/logger';
import { observe } from './observe';
import { type PlanOptions, buildPlan } from './plan';
import { type Operation, type Plan, type ProvisioningContext } from './types';

/** One rate limiter per upstream system, shared by every run of a process. */
export class RateLimiterRegistry {
  private readonly limiters = new Map<string, RateLimiter>();

  get(key: string, perSecond: number): RateLimiter {
    let limiter = this.limiters.get(key);
    if (!limiter) {
      limiter = new RateLimiter(perSecond);
      this.limiters.set(key, limiter);
    }
    return limiter;
  }
}

export interface EngineDependencies {
  logger: Logger;
  observer?: UpstreamObserver;
  rateLimiters?: RateLimiterRegistry;
  /** Sent on every upstream request of this run; a new one is made when absent. */
  correlationId?: string;
  /**
   * Revoke the run's EspoCRM token without waiting for it, so a worker can report the result
   * one round trip sooner. A short-lived CLI process waits instead, or the revocation could be cut off.
   */
  signOutInBackground?: boolean;
}

/** Finds a configured instance by the name a user typed, or throws `not_found` listing the known names. */
export function requireInstance(config: Config, name: string): InstanceConfig {
  const wanted = name.trim().toLowerCase();
  const instance = config.instances.find((candidate) => candidate.name === wanted);
  if (!instance) {
    throw new EspoSsoError('not_found', `No instance named "${name}" is configured.`, {
      hint: `Known instances: ${config.instances.map((candidate) => candidate.name).join(', ')}.`,
    });
  }
  return instance;
}

/** Builds the clients and the context for one run against one instance. */
export function createContext(config: Config, instance: InstanceConfig, dependencies: EngineDependencies): ProvisioningContext {
  const correlationId = dependencies.correlationId ?? newCorrelationId();
  const registry = dependencies.rateLimiters ?? new RateLimiterRegistry();
  // The clients add the correlation id to their own lines, so they get a logger without it.
  const clientLogger = dependencies.logger.child({ instance: instance.name });
  const logger = clientLogger.child({ correlationId });
  const authentik = new AuthentikClient({
    apiUrl: config.authentik.apiUrl,
    token: config.authentik.token,
    timeoutMs: config.authentik.timeoutSeconds * 1000,
    correlationId,
    observer: dependencies.observer,
    rateLimiter: registry.get('authentik', config.authentik.maxRequestsPerSecond),
    logger: clientLogger,
  });
  const espocrm = new EspoCrmClient({
    url: instance.url,
    username: instance.username,
    password: instance.password,
    timeoutMs: instance.timeoutSeconds * 1000,
    correlationId,
    observer: dependencies.observer,
    rateLimiter: registry.get(`espocrm:${instance.name}`, instance.maxRequestsPerSecond),
    logger: clientLogger,
  });
  return { authentikConfig: config.authentik, instance, authentik, espocrm, logger };
}

/** Reads both systems and returns the plan of `operation`. */
export async function planOperation(context: ProvisioningContext, operation: Operation, options: PlanOptions = {}): Promise<Plan> {
  const observation = await observe(context);
  return buildPlan(context, observation, operation, options);
}

/** Runs `work` with a context and signs out of EspoCRM afterwards, so the run's token does not linger. */
export async function withContext<T>(
  config: Config,
  instance: InstanceConfig,
  dependencies: EngineDependencies,
  work: (context: ProvisioningContext) => Promise<T>,
): Promise<T> {
  const context = createContext(config, instance, dependencies);
  try {
    return await work(context);
  } finally {
    const signingOut = context.espocrm.signOut();
    if (!dependencies.signOutInBackground) await signingOut;
  }
}
