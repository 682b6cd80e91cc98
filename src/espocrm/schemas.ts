import { z } from 'zod';

import { type AuthorizationData, type EspoSettings, type PublicSettings } from './types';
import { OIDC_SETTINGS } from './settings';
import { isVersionAtLeast, parseEspoVersion } from './version';

/**
 * zod schemas of the EspoCRM responses the client reads. Objects keep unknown keys out
 * (zod's default), so nothing beyond the listed fields leaves this module.
 */

/** `GET /api/v1/App/user`: the signed-in user and a new auth token. */
export const signInResponseSchema = z.object({
  user: z.object({
    id: z.string().min(1),
    userName: z.string().min(1),
    type: z.string().min(1),
  }),
  /** null when the request was authenticated with `Authorization: Basic`. */
  token: z.string().min(1).nullable(),
});

/** `GET /api/v1/Team`: one page of teams. */
export const teamPageSchema = z.object({
  /** Count of all teams. The client reads a negative value as unknown. */
  total: z.number().int(),
  list: z.array(z.object({ id: z.string().min(1), name: z.string() })),
});

/** `GET /api/v1/Oidc/authorizationData` while OIDC is the login method. */
export const authorizationDataSchema: z.ZodType<AuthorizationData> = z.object({
  clientId: z.string(),
  endpoint: z.string(),
  redirectUri: z.string(),
  scopes: z.array(z.string()),
});

/** The body of a 400 from a settings write that failed a field check. */
export const validationFailureSchema = z.object({
  messageTranslation: z.object({
    label: z.literal('validationFailure'),
    data: z.object({ field: z.string(), type: z.string() }),
  }),
});

/**
 * Casts a value as PHP's `(bool)` does, which is how EspoCRM reads every OIDC flag. null, false,
 * 0, "", "0" and an empty list are false, and everything else (the string "false" included) is true.
 */
export function phpBoolean(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '' && value !== '0';
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

const flag = z.unknown().optional().transform(phpBoolean);
const optionalText = z
  .string()
  .nullish()
  .transform((value) => value ?? null);
const stringList = z
  .array(z.string())
  .nullish()
  .transform((value) => value ?? []);

/** PHP encodes an empty associative array as `[]`, so an empty map can arrive as an empty list. */
function mapOf<Value extends z.ZodType>(value: Value) {
  return z
    .union([z.record(z.string(), value), z.tuple([])])
    .nullish()
    .transform((map): Record<string, z.output<Value>> => (map && !Array.isArray(map) ? map : {}));
}

/**
 * `GET /api/v1/Settings` as returned to an admin. Absent values read as EspoCRM's
 * `Oidc\ConfigDataProvider` reads them: flags false, lists empty and texts null. An absent
 * `authenticationMethod` reads as `Espo`.
 */
const settingsResponseSchema = z.object({
  version: z.string().min(1),
  siteUrl: optionalText,
  authenticationMethod: z
    .string()
    .nullish()
    .transform((value) => value ?? 'Espo'),
  oidcClientId: optionalText,
  oidcAuthorizationEndpoint: optionalText,
  oidcTokenEndpoint: optionalText,
  oidcJwksEndpoint: optionalText,
  oidcUserInfoEndpoint: optionalText,
  oidcJwtSignatureAlgorithmList: stringList,
  oidcScopes: stringList,
  oidcUsernameClaim: optionalText,
  oidcLogoutUrl: optionalText,
  oidcFallback: flag,
  oidcAllowAdminUser: flag,
  oidcAllowRegularUserFallback: flag,
  oidcCreateUser: flag,
  oidcSync: flag,
  oidcSyncTeams: flag,
  oidcGroupClaim: optionalText,
  oidcTeamsIds: stringList,
  oidcTeamsNames: mapOf(z.string().nullable()),
  oidcTeamsColumns: mapOf(z.object({ group: z.string().nullish() })),
});

/** The result of reading a response with one of the readers below. */
export type ReadResult<Value> = { ok: true; value: Value } | { ok: false; problem: string };

/** Describes a zod failure in one line that names the path of each issue (at most five), never a value. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Reads the admin settings response into `EspoSettings`. `oidcUserInfoEndpoint` is undefined
 * before EspoCRM 9.1.0, which has no such setting, and null when unset on later versions.
 * Throws `invalid_response` for an unparsable version.
 */
export function readEspoSettings(body: unknown): ReadResult<EspoSettings> {
  const result = settingsResponseSchema.safeParse(body);
  if (!result.success) return { ok: false, problem: describeZodError(result.error) };
  const raw = result.data;
  parseEspoVersion(raw.version);

  const userInfoSince = OIDC_SETTINGS.oidcUserInfoEndpoint.since;
  const teamNames: Record<string, string> = {};
  for (const [id, name] of Object.entries(raw.oidcTeamsNames)) teamNames[id] = name ?? '';
  const teamColumns: Record<string, { group: string }> = {};
  for (const [id, column] of Object.entries(raw.oidcTeamsColumns)) {
    teamColumns[id] = { group: column.group ?? '' };
  }

  return {
    ok: true,
    value: {
      version: raw.version,
      siteUrl: raw.siteUrl,
      authenticationMethod: raw.authenticationMethod,
      oidcClientId: raw.oidcClientId,
      oidcAuthorizationEndpoint: raw.oidcAuthorizationEndpoint,
      oidcTokenEndpoint: raw.oidcTokenEndpoint,
      oidcJwksEndpoint: raw.oidcJwksEndpoint,
      oidcUserInfoEndpoint: isVersionAtLeast(raw.version, userInfoSince) ? raw.oidcUserInfoEndpoint : undefined,
      oidcJwtSignatureAlgorithmList: raw.oidcJwtSignatureAlgorithmList,
      oidcScopes: raw.oidcScopes,
      oidcUsernameClaim: raw.oidcUsernameClaim,
      oidcLogoutUrl: raw.oidcLogoutUrl,
      oidcFallback: raw.oidcFallback,
      oidcAllowAdminUser: raw.oidcAllowAdminUser,
      oidcAllowRegularUserFallback: raw.oidcAllowRegularUserFallback,
      oidcCreateUser: raw.oidcCreateUser,
      oidcSync: raw.oidcSync,
      oidcSyncTeams: raw.oidcSyncTeams,
      oidcGroupClaim: raw.oidcGroupClaim,
      oidcTeamsIds: raw.oidcTeamsIds,
      oidcTeamsNames: teamNames,
      oidcTeamsColumns: teamColumns,
    },
  };
}

/**
 * `GET /api/v1/Settings` without authentication: global items only, plus `loginData` while the
 * login method is OIDC.
 */
const publicSettingsSchema = z.object({
  siteUrl: optionalText,
  loginData: z
    .object({ method: z.string(), fallback: flag })
    .nullish()
    .transform((value) => value ?? undefined),
});

/** Reads the response of `GET /api/v1/Settings` without authentication into `PublicSettings`. */
export function readPublicSettings(body: unknown): ReadResult<PublicSettings> {
  const result = publicSettingsSchema.safeParse(body);
  if (!result.success) return { ok: false, problem: describeZodError(result.error) };
  return { ok: true, value: { siteUrl: result.data.siteUrl, loginData: result.data.loginData } };
}
