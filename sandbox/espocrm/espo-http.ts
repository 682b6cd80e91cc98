import { type FakeRequest, type FakeResponse } from '../common/fake-server';

import { type SignInCredentials } from './authentication';
import { isJsonObject, phpTrim, phpTruthy } from './php-semantics';

/**
 * Request parsing and response shapes of EspoCRM's API layer: how credentials and bodies are
 * read, and how errors look on the wire.
 */

/**
 * PHP's default content type. Error responses written outside an action (failed sign-ins,
 * exceptions) carry it, even when their body is JSON.
 */
export const HTML_CONTENT_TYPE = 'text/html; charset=UTF-8';

/** Builds a response with an empty body, as EspoCRM sends for 401, 403, 404 and most errors. */
export function emptyResponse(status: number, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers: { 'Content-Type': HTML_CONTENT_TYPE, ...headers }, body: '' };
}

/** Builds an empty error response whose message EspoCRM puts in `X-Status-Reason`. */
export function statusReasonResponse(status: number, reason: string): FakeResponse {
  return emptyResponse(status, { 'X-Status-Reason': reason });
}

/** Builds a successful action result, sent as `application/json`. */
export function jsonResponse(body: unknown): FakeResponse {
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** Builds the 400 response of a failed field validation, with the body clients should read. */
export function validationFailureResponse(entityType: string, field: string, type: string): FakeResponse {
  const body = { messageTranslation: { label: 'validationFailure', scope: null, data: { field, type } } };
  return {
    status: 400,
    headers: {
      'Content-Type': HTML_CONTENT_TYPE,
      'X-Status-Reason': `Field validation failure; entityType: ${entityType}, field: ${field}, type: ${type}.`,
    },
    body: JSON.stringify(body),
  };
}

/** Returns a header as one line, joining repeated headers with ", " like PSR-7's getHeaderLine. */
export function headerLine(request: FakeRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

export type ParsedBody = { data: Map<string, unknown> } | { response: FakeResponse };

/**
 * Parses a request body as EspoCRM's RequestWrapper::getParsedBody does. Only a non-empty body
 * with media type `application/json` is read; anything else gives an empty object. Invalid
 * JSON fails with 500, a JSON scalar with 400, and a JSON array becomes `{"list": [...]}`.
 */
export function parseRequestBody(request: FakeRequest): ParsedBody {
  const contentType = headerLine(request, 'content-type');
  const mediaType = contentType === undefined ? null : contentType.split(';')[0].toLowerCase();
  if (mediaType !== 'application/json' || !phpTruthy(request.rawBody)) return { data: new Map() };

  let parsed: unknown;
  try {
    parsed = JSON.parse(request.rawBody);
  } catch {
    return { response: emptyResponse(500) };
  }

  if (Array.isArray(parsed)) return { data: new Map([['list', parsed]]) };
  if (!isJsonObject(parsed)) return { response: statusReasonResponse(400, 'Body is not a JSON object.') };
  return { data: new Map(Object.entries(parsed)) };
}

export type CredentialsResult = { credentials: SignInCredentials | null } | { response: FakeResponse };

/**
 * Reads sign-in credentials as EspoCRM's Api\Auth does. `Espo-Authorization` comes first.
 * Without it, an `X-Api-Key` header selects the ApiKey method, and otherwise
 * `Authorization: Basic` is read. Returns null credentials when the request has no usable user
 * name, which EspoCRM treats as no sign-in at all. A malformed `Espo-Authorization` value fails
 * with 400.
 */
export function readCredentials(request: FakeRequest): CredentialsResult {
  const espoAuthorization = headerLine(request, 'espo-authorization');
  const apiKeyHeader = headerLine(request, 'x-api-key') ?? null;
  const base = {
    byTokenHeader: headerLine(request, 'espo-authorization-by-token') === 'true',
    apiKeyHeader,
    code: headerLine(request, 'espo-authorization-code') ?? null,
  };

  if (espoAuthorization !== undefined) {
    const pair = decodeUserPassword(espoAuthorization);
    if (!pair) return { response: statusReasonResponse(400, 'Auth: Bad authorization string provided.') };
    const [username, password] = pair;
    if (!phpTruthy(username)) return { credentials: null };
    return { credentials: { ...base, method: null, username, password } };
  }

  if (apiKeyHeader !== null) {
    return { credentials: { ...base, method: 'ApiKey', username: null, password: null } };
  }

  // PHP fills PHP_AUTH_USER and PHP_AUTH_PW from a Basic header. EspoCRM uses them only when
  // both are non-empty.
  const basic = /^basic\s+(.*)$/i.exec(headerLine(request, 'authorization') ?? '');
  const pair = basic ? decodeUserPassword(basic[1]) : null;
  if (!pair || !phpTruthy(pair[0]) || !phpTruthy(pair[1])) return { credentials: null };
  return { credentials: { ...base, method: null, username: pair[0], password: pair[1] } };
}

// base64_decode() skips characters outside the alphabet, and Buffer does the same.
function decodeUserPassword(encoded: string): [string, string] | null {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return [phpTrim(decoded.slice(0, colon)), phpTrim(decoded.slice(colon + 1))];
}
