import { z } from 'zod';

/**
 * zod schemas for the parts of authentik's responses that the client reads, as they arrive on
 * the wire (snake_case). Unlisted fields are ignored, so fields that newer servers add pass.
 * Field names and types follow authentik's OpenAPI schema (schema.yml of @goauthentik/api
 * 2026.8.3) and, for `private_key_type`, authentik's serializers before 2025.12.
 */

/** `GET /admin/version/`. */
export const versionSchema = z.object({
  version_current: z.string().min(1),
});

/** authentik's page-number pagination; `next` is 0 on the last page. */
export const paginationSchema = z.object({
  next: z.number(),
  current: z.number(),
  total_pages: z.number(),
  count: z.number(),
});

/** Builds the schema of one page of a list endpoint, with each result checked by `item`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    pagination: paginationSchema,
    results: z.array(item),
  });
}

export const flowSchema = z.object({
  pk: z.string(),
  slug: z.string(),
  name: z.string(),
  designation: z.string(),
});

export const scopeMappingSchema = z.object({
  pk: z.string(),
  managed: z.string().nullable(),
  name: z.string(),
  scope_name: z.string(),
});

/**
 * A certificate keypair. Servers >= 2025.12 report the algorithm as `key_type`; older servers
 * report `private_key_type`, derived from the private key's class name ("rsa", and "ec" or
 * "ellipticcurve" depending on the cryptography library), null without a private key.
 */
export const keypairSchema = z.object({
  pk: z.string(),
  name: z.string(),
  private_key_available: z.boolean(),
  key_type: z.string().nullable().optional(),
  private_key_type: z.string().nullable().optional(),
});

export const redirectUriSchema = z.object({
  matching_mode: z.enum(['strict', 'regex']),
  url: z.string(),
});

/**
 * An OAuth2 provider. `client_secret` may be missing for callers the server hides secrets from,
 * and `grant_types` is missing before 2026.5.
 */
export const oauth2ProviderSchema = z.object({
  pk: z.number().int(),
  name: z.string(),
  client_type: z.string(),
  client_id: z.string(),
  client_secret: z.string().nullable().optional(),
  authorization_flow: z.string(),
  invalidation_flow: z.string().nullable().optional(),
  redirect_uris: z.array(redirectUriSchema),
  sub_mode: z.string(),
  signing_key: z.string().nullable().optional(),
  encryption_key: z.string().nullable().optional(),
  property_mappings: z.array(z.string()),
  grant_types: z.array(z.string()).optional(),
  assigned_application_slug: z.string().nullable(),
});

export const applicationSchema = z.object({
  pk: z.string(),
  slug: z.string(),
  name: z.string(),
  provider: z.number().int().nullable(),
  meta_launch_url: z.string().nullable().optional(),
});

/** The fields of `.well-known/openid-configuration` that the bot checks (OpenID Connect Discovery 1.0). */
export const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  userinfo_endpoint: z.string(),
  jwks_uri: z.string(),
  end_session_endpoint: z.string().optional(),
  id_token_signing_alg_values_supported: z.array(z.string()),
});

/**
 * A JSON Web Key Set (RFC 7517); only the fields the bot reads are checked. authentik answers
 * `{}` without a `keys` member when the provider has no signing key, so a missing list is empty.
 */
export const jwksSchema = z.object({
  keys: z
    .array(
      z.object({
        kty: z.string(),
        kid: z.string().optional(),
        alg: z.string().optional(),
      }),
    )
    .default([]),
});

/**
 * A 400 body: field name -> messages. A list field of objects (`redirect_uris`) has one object
 * of field errors per item; `detail` or `non_field_errors` carry errors not tied to a field.
 */
export type FieldErrorBody = { [field: string]: FieldErrorValue };
export type FieldErrorValue = string | FieldErrorValue[] | FieldErrorBody;

export const fieldErrorBodySchema: z.ZodType<FieldErrorBody> = z.record(
  z.string(),
  z.lazy(() => fieldErrorValueSchema),
);
const fieldErrorValueSchema: z.ZodType<FieldErrorValue> = z.union([
  z.string(),
  z.array(z.lazy(() => fieldErrorValueSchema)),
  z.lazy(() => fieldErrorBodySchema),
]);
