/**
 * Errors with a stable code, the HTTP status when one was involved, and whether a retry can help.
 * Callers branch on `code` and `retryable`, never on message text.
 */

/** Every code an espo-sso error can carry. */
export type ErrorCode =
  /** The configuration file or environment is invalid. */
  | 'config_invalid'
  /** A call did not reach the server or got no answer (reset, refused, DNS). */
  | 'network'
  /** A call took longer than its timeout. */
  | 'timeout'
  /** The server returned 5xx or 429. */
  | 'upstream_unavailable'
  /** The server rejected the request (400, 409, 422). */
  | 'upstream_rejected'
  /** Credentials were rejected (401) or a token lacks a permission (403). */
  | 'unauthorized'
  | 'forbidden'
  /** An object that must exist was not found (404). */
  | 'not_found'
  /** A response did not have the expected shape. */
  | 'invalid_response'
  /** The EspoCRM user signs in with a second factor, which a bot cannot provide. */
  | 'second_factor_required'
  /** The EspoCRM user is not an administrator. */
  | 'not_admin'
  /** EspoCRM refuses requests from this address after repeated failed sign-ins. */
  | 'locked_out'
  /** A server version outside the supported range. */
  | 'unsupported_version'
  /** A plan has errors and must not be applied. */
  | 'plan_invalid'
  /** The systems changed since the plan was made. */
  | 'drift'
  /** A check after an apply failed. */
  | 'verify_failed'
  /** Anything else: a bug or an unexpected condition. */
  | 'internal';

/** The external system an error came from, when one did. */
export type System = 'authentik' | 'espocrm' | 'slack' | 'redis';

export interface EspoSsoErrorOptions {
  status?: number;
  retryable?: boolean;
  system?: System;
  /** Fix for the operator, in one sentence. */
  hint?: string;
  cause?: unknown;
}

/** The one error class of the product: `code` names what happened and `retryable` whether to retry. */
export class EspoSsoError extends Error {
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly system: System | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: EspoSsoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EspoSsoError';
    this.code = code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.system = options.system;
    this.hint = options.hint;
  }

  /** Returns the message followed by the hint, for people. */
  describe(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

/** Statuses after which the same request can succeed later. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Maps an HTTP status to the error code used for it. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429 || status >= 500) return 'upstream_unavailable';
  return 'upstream_rejected';
}

/** Wraps anything thrown into an EspoSsoError, keeping the original as `cause`. */
export function toEspoSsoError(error: unknown): EspoSsoError {
  if (error instanceof EspoSsoError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EspoSsoError('internal', message, { cause: error });
}
