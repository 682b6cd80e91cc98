import { type FetchAPI } from '@goauthentik/api';

import { CORRELATION_HEADER, type UpstreamObserver } from '../http/observer';
import { type RateLimiter } from '../http/rate-limiter';
import { type Logger } from '../logging/logger';

/**
 * The `fetch` that every authentik request goes through: it waits for the rate limiter, adds the
 * correlation header, ends the request after the timeout and reports it to the observer.
 */

/** A request that got no HTTP response, because it timed out or the connection failed. */
export class TransportFailure extends Error {
  override readonly name = 'TransportFailure';

  constructor(
    readonly kind: 'timeout' | 'network',
    /** Cause for messages, e.g. "ECONNRESET: read ECONNRESET". It contains no headers or bodies. */
    readonly detail: string,
    cause: unknown,
  ) {
    super(detail, { cause });
  }
}

/** API routes the client calls, as templates without ids (paths below `/api/v3`). */
const ROUTE_TEMPLATES: ReadonlyArray<{ pattern: RegExp; template: string }> = [
  { pattern: /^\/api\/v3\/admin\/version\/$/, template: '/admin/version/' },
  { pattern: /^\/api\/v3\/flows\/instances\/$/, template: '/flows/instances/' },
  { pattern: /^\/api\/v3\/propertymappings\/provider\/scope\/$/, template: '/propertymappings/provider/scope/' },
  { pattern: /^\/api\/v3\/crypto\/certificatekeypairs\/$/, template: '/crypto/certificatekeypairs/' },
  { pattern: /^\/api\/v3\/core\/applications\/$/, template: '/core/applications/' },
  { pattern: /^\/api\/v3\/core\/applications\/[^/]+\/$/, template: '/core/applications/{slug}/' },
  { pattern: /^\/api\/v3\/providers\/oauth2\/$/, template: '/providers/oauth2/' },
  { pattern: /^\/api\/v3\/providers\/oauth2\/[^/]+\/$/, template: '/providers/oauth2/{pk}/' },
  {
    pattern: /^\/application\/o\/[^/]+\/\.well-known\/openid-configuration$/,
    template: '/application/o/{slug}/.well-known/openid-configuration',
  },
  { pattern: /^\/application\/o\/[^/]+\/jwks\/$/, template: '/application/o/{slug}/jwks/' },
];

/**
 * Returns the route template of a path relative to the authentik base URL, e.g.
 * `/api/v3/providers/oauth2/12/` -> `/providers/oauth2/{pk}/`. A path the client does not call
 * returns `other`, so that no id reaches a metric label.
 */
export function routeTemplate(relativePath: string): string {
  return ROUTE_TEMPLATES.find((route) => route.pattern.test(relativePath))?.template ?? 'other';
}

export interface TransportOptions {
  /** authentik base URL without `/api/v3`. */
  apiUrl: string;
  correlationId: string;
  timeoutMs: number;
  observer: UpstreamObserver;
  rateLimiter: RateLimiter | undefined;
  logger: Logger;
}

/**
 * Creates the `fetch` given to `@goauthentik/api`'s Configuration and used for the OIDC
 * endpoints. Rejects with `TransportFailure` when no response arrives. The timeout signal stays
 * attached to the response, so it also ends a body that stops arriving.
 */
export function createTransport(options: TransportOptions): FetchAPI {
  const basePathname = new URL(options.apiUrl).pathname.replace(/\/+$/, '');

  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const relativePath = url.pathname.startsWith(basePathname) ? url.pathname.slice(basePathname.length) : url.pathname;
    const route = routeTemplate(relativePath);

    if (options.rateLimiter) await options.rateLimiter.acquire();

    const headers = new Headers(init?.headers);
    headers.set(CORRELATION_HEADER, options.correlationId);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;

    const started = performance.now();
    const finish = (status: number): void => {
      const durationMs = Math.round(performance.now() - started);
      options.observer({ system: 'authentik', method, route, status, durationMs });
      options.logger.debug({ method, route, status, durationMs }, 'authentik request finished');
    };

    let response: Response;
    try {
      response = await fetch(input instanceof Request ? input : url, { ...init, headers, signal });
    } catch (error) {
      finish(0);
      if (timeout.aborted) {
        throw new TransportFailure('timeout', `no response within ${options.timeoutMs} ms`, error);
      }
      if (init?.signal?.aborted) throw error;
      throw new TransportFailure('network', describeNetworkError(error), error);
    }
    finish(response.status);
    return response;
  };
}

/** The fields of a thrown value that messages use, read without `instanceof`. */
export interface ErrorFields {
  name: string | undefined;
  message: string;
  code: string | undefined;
  cause: unknown;
}

/**
 * Reads name, message, code and cause of a thrown value. `instanceof Error` is not used because
 * errors from Node's fetch can come from another realm (jest runs tests in a vm context).
 */
export function errorFields(value: unknown): ErrorFields {
  if (typeof value !== 'object' || value === null) {
    return { name: undefined, message: String(value), code: undefined, cause: undefined };
  }
  const record = value as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
  return {
    name: typeof record.name === 'string' ? record.name : undefined,
    message: typeof record.message === 'string' ? record.message : String(value),
    code: typeof record.code === 'string' ? record.code : undefined,
    cause: record.cause,
  };
}

/**
 * Describes a failed fetch for a message: Node's fetch rejects with `TypeError: fetch failed`
 * whose `cause` carries the system error code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ...).
 */
export function describeNetworkError(error: unknown): string {
  const outer = errorFields(error);
  const inner = outer.cause === undefined ? outer : errorFields(outer.cause);
  const code = inner.code;
  return code !== undefined && !inner.message.includes(code) ? `${code}: ${inner.message}` : inner.message;
}
