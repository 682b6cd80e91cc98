import { type FakeRequest, type FakeResponse } from '../common/fake-server';
import { type FieldErrors } from './schema';
import { type AuthentikStore } from './store';

/** Token checks, permission checks and body parsing shared by every /api/v3 route. */

/** Permission codenames the fake checks, one per operation it serves. */
export const AUTHENTIK_PERMISSIONS = {
  viewFlow: 'authentik_flows.view_flow',
  viewScopeMapping: 'authentik_providers_oauth2.view_scopemapping',
  viewKeypair: 'authentik_crypto.view_certificatekeypair',
  viewProvider: 'authentik_providers_oauth2.view_oauth2provider',
  addProvider: 'authentik_providers_oauth2.add_oauth2provider',
  changeProvider: 'authentik_providers_oauth2.change_oauth2provider',
  deleteProvider: 'authentik_providers_oauth2.delete_oauth2provider',
  viewApplication: 'authentik_core.view_application',
  addApplication: 'authentik_core.add_application',
  changeApplication: 'authentik_core.change_application',
  deleteApplication: 'authentik_core.delete_application',
} as const;

/** Every permission codename above: what a token of a superuser has. */
export const ALL_PERMISSIONS: readonly string[] = Object.values(AUTHENTIK_PERMISSIONS);

/** State and access check shared by the route handlers. */
export interface ApiContext {
  store: AuthentikStore;
  /**
   * Returns the 403 response authentik sends when the request has no valid token or the token
   * lacks `permission`. Returns undefined when the request may proceed.
   */
  deny(request: FakeRequest, permission?: string): FakeResponse | undefined;
}

/** Token and permission settings of one fake. Undefined `permissions` means every permission. */
export interface AccessSettings {
  token: string;
  permissions: ReadonlySet<string> | undefined;
}

/**
 * Checks the `Authorization: Bearer <token>` header as authentik does. DRF returns 403 rather
 * than 401 here because authentik's token authentication sends no WWW-Authenticate challenge.
 */
export function denyAccess(settings: AccessSettings, request: FakeRequest, permission?: string): FakeResponse | undefined {
  const header = request.headers.authorization ?? '';
  const separator = header.indexOf(' ');
  const scheme = separator < 0 ? header : header.slice(0, separator);
  const credentials = separator < 0 ? '' : header.slice(separator + 1).trim();

  if (scheme.toLowerCase() !== 'bearer') {
    return forbidden('Authentication credentials were not provided.');
  }
  if (credentials === '') return forbidden('Malformed header');
  if (credentials !== settings.token) return forbidden('Token invalid/expired');

  if (permission !== undefined && settings.permissions !== undefined && !settings.permissions.has(permission)) {
    return forbidden('You do not have permission to perform this action.');
  }
  return undefined;
}

function forbidden(detail: string): FakeResponse {
  return { status: 403, body: { detail } };
}

/** Returns a 400 response with DRF's field -> messages body. */
export function badRequest(errors: FieldErrors): FakeResponse {
  return { status: 400, body: errors };
}

/**
 * Parses a JSON request body. An empty body counts as `{}`, as DRF's empty `request.data`.
 * Returns the parsed value, or the 415 or 400 response DRF sends for another media type or
 * for malformed JSON.
 */
export function parseRequestBody(request: FakeRequest): { value: unknown } | { response: FakeResponse } {
  if (request.rawBody.trim() === '') return { value: {} };

  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') {
    return {
      response: { status: 415, body: { detail: `Unsupported media type "${contentType}" in request.` } },
    };
  }
  try {
    return { value: JSON.parse(request.rawBody) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { response: { status: 400, body: { detail: `JSON parse error - ${reason}` } } };
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Combines schema errors with rule errors. A field with both keeps only its schema error. */
export function mergeErrors(schemaErrors: FieldErrors | undefined, ruleErrors: FieldErrors | undefined): FieldErrors | undefined {
  if (!schemaErrors) return ruleErrors;
  return { ...(ruleErrors ?? {}), ...schemaErrors };
}
