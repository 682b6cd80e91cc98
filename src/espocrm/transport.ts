import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { type z } from 'zod';

import { EspoSsoError, codeForStatus, isRetryableStatus } from '../errors';
import { CORRELATION_HEADER, noopObserver, type UpstreamObserver } from '../http/observer';
import { type RateLimiter } from '../http/rate-limiter';
import { createSilentLogger, type Logger } from '../logging/logger';
import { describeZodError, type ReadResult } from './schemas';

/**
 * HTTP calls to EspoCRM: the deadline, correlation id, rate limit, observer report and debug log
 * of each call, and the mapping of failures to `EspoSsoError`. Nothing here logs or puts in an
 * error a request header or body, because both carry credentials.
 */

export interface TransportOptions {
  /** EspoCRM base URL; trailing slashes are removed. */
  url: string;
  /** Deadline of each call, in milliseconds. */
  timeoutMs: number;
  correlationId: string;
  observer?: UpstreamObserver;
  rateLimiter?: RateLimiter;
  logger?: Logger;
}

/** One HTTP call. `route` is the path template reported to the observer and named in messages. */
export interface Call {
  method: 'GET' | 'PUT' | 'POST';
  route: string;
  query?: Record<string, string | number>;
  /** Serialized JSON. Never logged and never put in a message, because it may contain a secret. */
  body?: string;
}

/** A response of any status, with the body as text. */
export interface RawResponse {
  status: number;
  body: string;
  contentType: string;
  /** EspoCRM's `X-Status-Reason` header, '' when absent. */
  statusReason: string;
  location: string;
}

/** Bodies larger than this are not read; EspoCRM's responses to these calls are a few kilobytes. */
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** Network error codes after which the same request can succeed later. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

export class EspoTransport {
  readonly baseUrl: string;
  readonly correlationId: string;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly observer: UpstreamObserver;
  private readonly rateLimiter: RateLimiter | undefined;
  private readonly logger: Logger;

  constructor(options: TransportOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.correlationId = options.correlationId;
    this.timeoutMs = options.timeoutMs;
    this.observer = options.observer ?? noopObserver;
    this.rateLimiter = options.rateLimiter;
    this.logger = options.logger ?? createSilentLogger();
    this.http = axios.create({
      baseURL: this.baseUrl,
      timeout: options.timeoutMs,
      // A redirect would carry the Espo-Authorization header to wherever it points.
      maxRedirects: 0,
      maxContentLength: MAX_RESPONSE_BYTES,
      // Every status comes back as a response with the body as text, so the error mapping gets both.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      transitional: { clarifyTimeoutError: true },
    });
  }

  /**
   * Sends one request with `headers` added and returns its response whatever the status.
   * Throws `timeout` or `network` when no response came. Reports every attempt to the observer.
   */
  async send(call: Call, headers: Record<string, string> = {}): Promise<RawResponse> {
    const requestHeaders: Record<string, string> = {
      Accept: 'application/json',
      [CORRELATION_HEADER]: this.correlationId,
      ...headers,
    };
    if (call.body !== undefined) {
      // Without this content type EspoCRM ignores the body of a settings write and still returns 200.
      requestHeaders['Content-Type'] = 'application/json';
    }

    await this.rateLimiter?.acquire();
    const started = performance.now();
    // axios's `timeout` is an idle timeout on the socket, so this signal bounds the whole call.
    const deadline = AbortSignal.timeout(this.timeoutMs);
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.request({
        method: call.method,
        url: call.route,
        params: call.query,
        headers: requestHeaders,
        data: call.body,
        signal: deadline,
      });
    } catch (error) {
      this.report(call, 0, started);
      throw this.transportError(call, error, deadline.aborted);
    }

    this.report(call, response.status, started);
    return {
      status: response.status,
      body: typeof response.data === 'string' ? response.data : '',
      contentType: headerValue(response.headers['content-type']),
      statusReason: headerValue(response.headers['x-status-reason']).trim(),
      location: headerValue(response.headers.location),
    };
  }

  private report(call: Call, status: number, started: number): void {
    const durationMs = Math.round(performance.now() - started);
    this.observer({ system: 'espocrm', method: call.method, route: call.route, status, durationMs });
    this.logger.debug(
      {
        system: 'espocrm',
        method: call.method,
        route: call.route,
        status,
        durationMs,
        correlationId: this.correlationId,
      },
      'EspoCRM call finished',
    );
  }

  /**
   * Maps an error thrown by axios. Axios errors carry the request config with its headers, so
   * only the error code and message are kept, never the error itself.
   */
  private transportError(call: Call, error: unknown, deadlinePassed: boolean): EspoSsoError {
    const where = `${call.method} ${call.route}`;
    if (!axios.isAxiosError(error)) {
      const message = error instanceof Error ? error.message : String(error);
      return new EspoSsoError('internal', `EspoCRM call ${where} failed: ${message}`, { system: 'espocrm' });
    }

    const code = error.code ?? '';
    const cause = Object.assign(new Error(error.message), { code });
    const timedOut = deadlinePassed || code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'ERR_CANCELED';
    if (timedOut) {
      return new EspoSsoError('timeout', `EspoCRM call ${where} timed out after ${this.timeoutMs} ms.`, {
        system: 'espocrm',
        retryable: true,
        cause,
      });
    }
    if (code === 'ERR_BAD_RESPONSE' && error.message.includes('maxContentLength')) {
      return new EspoSsoError(
        'invalid_response',
        `EspoCRM responded to ${where} with more than ${MAX_RESPONSE_BYTES} bytes.`,
        { system: 'espocrm', cause },
      );
    }

    const retryable = RETRYABLE_NETWORK_CODES.has(code) || error.message === 'socket hang up';
    return new EspoSsoError('network', `EspoCRM call ${where} to ${this.baseUrl} failed: ${error.message}.`, {
      system: 'espocrm',
      retryable,
      cause,
      hint: code === 'ENOTFOUND' ? 'Check the host name in the EspoCRM url.' : undefined,
    });
  }
}

/** Throws the error for any status other than 2xx. */
export function assertOk(call: Call, response: RawResponse): void {
  if (response.status >= 200 && response.status < 300) return;
  throw statusError(call, response);
}

/** Builds the error for a non-2xx response; `hint` replaces the default hint for the status. */
export function statusError(call: Call, response: RawResponse, hint?: string): EspoSsoError {
  const status = response.status;
  const where = `${call.method} ${call.route}`;
  const options = { system: 'espocrm' as const, status, retryable: isRetryableStatus(status) };

  if (status >= 300 && status < 400) {
    const message = `EspoCRM responded to ${where} with a redirect (${status}) to ${originOf(response.location)}.`;
    return new EspoSsoError('upstream_rejected', message, {
      ...options,
      hint: hint ?? 'Set the EspoCRM url to the address it redirects to, including the scheme.',
    });
  }

  const reason = response.statusReason ? ` (${truncate(response.statusReason, 200)})` : '';
  return new EspoSsoError(codeForStatus(status), `EspoCRM responded to ${where} with ${status}${reason}.`, {
    ...options,
    hint: hint ?? hintForStatus(status, call),
  });
}

/** Parses the body as JSON and reads it with `reader`. A body of another shape throws `invalid_response`. */
export function readBody<Value>(
  call: Call,
  response: RawResponse,
  reader: (body: unknown) => ReadResult<Value>,
): Value {
  const where = `${call.method} ${call.route}`;
  const body = parseJson(response.body);
  if (body === undefined) {
    const type = response.contentType ? ` (${truncate(response.contentType, 80)})` : '';
    throw new EspoSsoError('invalid_response', `EspoCRM responded to ${where} with a body that is not JSON${type}.`, {
      system: 'espocrm',
      status: response.status,
      hint: 'Check that the EspoCRM url points to EspoCRM itself and not to a proxy or login page.',
    });
  }

  const result = reader(body);
  if (!result.ok) {
    const message = `EspoCRM responded to ${where} with an unexpected body: ${result.problem}.`;
    throw new EspoSsoError('invalid_response', message, { system: 'espocrm', status: response.status });
  }
  return result.value;
}

/** Wraps a zod schema as a reader for `readBody`. */
export function readerOf<Value>(schema: z.ZodType<Value>): (body: unknown) => ReadResult<Value> {
  return (body) => {
    const result = schema.safeParse(body);
    if (result.success) return { ok: true, value: result.data };
    return { ok: false, problem: describeZodError(result.error) };
  };
}

/** Parses JSON text, returning undefined for an empty or invalid body. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function headerValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join(', ');
  return '';
}

function truncate(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/** Returns the scheme, host and port of a redirect target, so its path and query stay out of messages. */
function originOf(location: string): string {
  try {
    return new URL(location).origin;
  } catch {
    return location === '' ? '(no Location header)' : '(an invalid Location header)';
  }
}

function hintForStatus(status: number, call: Call): string | undefined {
  if (status === 401) {
    return (
      'The auth token expired or was revoked (EspoCRM ends tokens after 48 idle hours by default); ' +
      'run the job again to sign in anew.'
    );
  }
  if (status === 403) {
    return call.route === '/api/v1/Settings'
      ? 'Only a user of type Administrator may read and write these settings.'
      : 'The EspoCRM user lacks access to this resource; use a user of type Administrator.';
  }
  if (status === 404) return 'Check that the EspoCRM url is the base address of EspoCRM, without /api/v1.';
  if (status === 429 || status >= 500) return 'EspoCRM or a proxy in front of it is failing; try again later.';
  return undefined;
}
