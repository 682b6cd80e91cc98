import { FetchError, ResponseError } from '@goauthentik/api';
import { type z } from 'zod';

import { codeForStatus, EspoSsoError, isRetryableStatus } from '../errors';
import { type FieldErrorValue, fieldErrorBodySchema } from './schemas';
import { describeNetworkError, errorFields, TransportFailure } from './transport';

/** One logical API call, for messages and hints. */
export interface CallInfo {
  /** Description of the call that follows "Failed to" in messages, e.g. `create the OAuth2 provider "espo-crm"`. */
  action: string;
  method: string;
  /** Route template without ids, e.g. `/providers/oauth2/{pk}/`. */
  route: string;
}

/** Maximum length of the server's error text quoted in a message. */
const MAX_DETAIL_LENGTH = 500;

/**
 * The permission each route needs, by HTTP method (authentik's Django permission names).
 * `GET /admin/version/` needs only a valid token, so it has none.
 */
const ROUTE_PERMISSIONS: Record<string, { app: string; model: string; readOnly?: boolean }> = {
  '/flows/instances/': { app: 'authentik_flows', model: 'flow', readOnly: true },
  '/propertymappings/provider/scope/': { app: 'authentik_providers_oauth2', model: 'scopemapping', readOnly: true },
  '/crypto/certificatekeypairs/': { app: 'authentik_crypto', model: 'certificatekeypair', readOnly: true },
  '/core/applications/': { app: 'authentik_core', model: 'application' },
  '/core/applications/{slug}/': { app: 'authentik_core', model: 'application' },
  '/providers/oauth2/': { app: 'authentik_providers_oauth2', model: 'oauth2provider' },
  '/providers/oauth2/{pk}/': { app: 'authentik_providers_oauth2', model: 'oauth2provider' },
};

const PERMISSION_VERBS: Record<string, string> = {
  GET: 'view',
  POST: 'add',
  PUT: 'change',
  PATCH: 'change',
  DELETE: 'delete',
};

/** Returns the permission a call needs, e.g. `authentik_core.add_application`, or undefined. */
export function permissionFor(method: string, route: string): string | undefined {
  const entry = ROUTE_PERMISSIONS[route];
  const verb = PERMISSION_VERBS[method.toUpperCase()];
  if (!entry || !verb) return undefined;
  return `${entry.app}.${verb}_${entry.model}`;
}

/**
 * Converts anything a call threw into an EspoSsoError with `system: 'authentik'`.
 * `secrets` are values (token, client secrets) that are replaced in the message, in case the
 * server quoted one back.
 */
export async function toAuthentikError(call: CallInfo, error: unknown, secrets: readonly string[]): Promise<EspoSsoError> {
  if (error instanceof EspoSsoError) return error;
  if (error instanceof ResponseError) return errorForResponse(call, error.response, secrets);

  const failure = error instanceof FetchError ? error.cause : error;
  if (failure instanceof TransportFailure) return errorForTransport(call, failure);

  // A body read fails with the timeout signal's DOMException (TimeoutError) when the body
  // stops arriving, and with TypeError ("terminated") when the connection drops.
  const fields = errorFields(failure);
  if (fields.name === 'TimeoutError' || fields.name === 'AbortError') {
    return errorForTransport(call, new TransportFailure('timeout', 'the response body did not arrive within the timeout', failure));
  }
  if (fields.name === 'TypeError' || error instanceof FetchError) {
    return errorForTransport(call, new TransportFailure('network', describeNetworkError(failure), failure));
  }

  const message = errorFields(error).message;
  return new EspoSsoError('internal', redact(`Failed to ${call.action}: ${message}`, secrets), {
    system: 'authentik',
    cause: error,
  });
}

/**
 * `detail` texts of a response that rejects the token itself. authentik sends them with 403,
 * not 401, because its token authentication sends no WWW-Authenticate challenge.
 */
const TOKEN_REJECTED_DETAIL = /token invalid|token expired|credentials were not provided|malformed header|incorrect authentication credentials/i;

const TOKEN_HINT =
  'The authentik API token is invalid or expired, or its user is inactive: create a token with ' +
  'intent "API" for an active user and configure it as the authentik token.';

/**
 * Builds the error for a non-2xx response, quoting the server's field errors for a 400. A 403
 * whose detail rejects the token gets code `unauthorized`, like a 401.
 */
export async function errorForResponse(call: CallInfo, response: Response, secrets: readonly string[]): Promise<EspoSsoError> {
  const status = response.status;
  const detail = await readErrorDetail(response);
  const where = `${call.method} ${call.route}`;
  const tokenRejected = status === 401 || (status === 403 && TOKEN_REJECTED_DETAIL.test(detail));

  let code = codeForStatus(status);
  let message: string;
  let hint: string | undefined;
  if (tokenRejected) {
    code = 'unauthorized';
    message = `Failed to ${call.action}: authentik rejected the API token (${where} returned ${status}).`;
    hint = TOKEN_HINT;
  } else if (status === 403) {
    const permission = permissionFor(call.method, call.route);
    message = permission
      ? `Failed to ${call.action}: the API token's user lacks the permission ${permission} (${where} returned 403).`
      : `Failed to ${call.action}: authentik denied the request (${where} returned 403).`;
    hint = permission
      ? `Give the token's user the permission ${permission} (directly or through a role), or use a token of a user who has it.`
      : 'Check that the API token has intent "API" and that its user is active.';
  } else if (status === 404) {
    message = `Failed to ${call.action}: not found (${where} returned 404).`;
  } else if (isRetryableStatus(status)) {
    message = `Failed to ${call.action}: authentik is unavailable (${where} returned ${status}).`;
  } else {
    message = `Failed to ${call.action}: authentik rejected the request (${where} returned ${status}).`;
  }
  if (detail) message = `${message} ${status === 400 ? 'Field errors' : 'Server message'}: ${detail}`;

  return new EspoSsoError(code, redact(message, secrets), {
    status,
    retryable: isRetryableStatus(status),
    system: 'authentik',
    hint,
  });
}

/** Builds the error for a request that got no response. Both kinds (timeout, network) are retryable. */
export function errorForTransport(call: CallInfo, failure: TransportFailure): EspoSsoError {
  const where = `${call.method} ${call.route}`;
  const message =
    failure.kind === 'timeout'
      ? `Failed to ${call.action}: authentik timed out (${where}: ${failure.detail}).`
      : `Failed to ${call.action}: the connection to authentik failed (${where}: ${failure.detail}).`;
  return new EspoSsoError(failure.kind, message, { retryable: true, system: 'authentik', cause: failure });
}

/** Builds the error for a 2xx response whose body does not have the expected shape. */
export function invalidResponseError(call: CallInfo, problem: string, cause?: unknown): EspoSsoError {
  return new EspoSsoError(
    'invalid_response',
    `Failed to ${call.action}: authentik returned an invalid response to ${call.method} ${call.route} (${problem}).`,
    { system: 'authentik', cause },
  );
}

/** Summarises zod issues as `path: message`, at most three of them. */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` and ${error.issues.length - 3} more` : '';
  return `${shown.join('; ')}${more}`;
}

/**
 * Reads the server's explanation from an error response: DRF field errors
 * (`{"invalidation_flow": ["This field is required."]}`) as `invalidation_flow: This field is
 * required.`, or a `detail` string. Returns '' for other bodies (HTML error pages, empty bodies),
 * and when the body cannot be read.
 */
async function readErrorDetail(response: Response): Promise<string> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return '';
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return '';
  }

  const parsed = fieldErrorBodySchema.safeParse(body);
  if (!parsed.success) return '';
  const lines: string[] = [];
  for (const [field, value] of Object.entries(parsed.data)) {
    const prefix = field === 'detail' || field === 'non_field_errors' ? '' : field;
    collectFieldErrors(prefix, value, lines);
  }
  const joined = lines.join('; ');
  return joined.length > MAX_DETAIL_LENGTH ? `${joined.slice(0, MAX_DETAIL_LENGTH)}…` : joined;
}

/** Flattens nested DRF errors: `redirect_uris: [{}, {"url": ["Enter a valid URL."]}]` -> `redirect_uris[1].url: Enter a valid URL.` */
function collectFieldErrors(path: string, value: FieldErrorValue, lines: string[]): void {
  if (typeof value === 'string') {
    lines.push(path === '' ? value : `${path}: ${value}`);
    return;
  }
  if (Array.isArray(value)) {
    const allStrings = value.every((item) => typeof item === 'string');
    if (allStrings) {
      const text = value.join(' ');
      if (text !== '') lines.push(path === '' ? text : `${path}: ${text}`);
      return;
    }
    value.forEach((item, index) => collectFieldErrors(`${path}[${index}]`, item, lines));
    return;
  }
  for (const [field, nested] of Object.entries(value)) {
    let nestedPath = `${path}.${field}`;
    if (field === 'non_field_errors') nestedPath = path;
    else if (path === '') nestedPath = field;
    collectFieldErrors(nestedPath, nested, lines);
  }
}

/** Replaces each secret value (at least 6 characters long) in `text` with "[redacted]". */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 6 && result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result;
}
