import { z } from 'zod';

/**
 * The shape of the YAML configuration file. Structural rules (types, unknown keys, defaults)
 * live here; rules across fields (URLs, slugs, duplicates, secrets) are in validate.ts so that
 * each can name its key and its fix.
 */

const nonEmpty = z.string().trim().min(1);

/** Slack user ids (U..., W...) or user group ids (S...). */
const slackPrincipal = z.string().trim().min(1);

export const authentikSchema = z.strictObject({
  /** Public base URL: what browsers and EspoCRM use. Every endpoint given to EspoCRM is built from it. */
  url: nonEmpty,
  /** Base URL the bot calls the API at; defaults to `url`. */
  apiUrl: nonEmpty.optional(),
  /** Name of the environment variable that contains the API token. */
  tokenEnv: nonEmpty.optional(),
  /** Path of a file that contains the API token. */
  tokenFile: nonEmpty.optional(),
  authorizationFlow: nonEmpty.default('default-provider-authorization-explicit-consent'),
  invalidationFlow: nonEmpty.default('default-provider-invalidation-flow'),
  /** Name of the certificate keypair that signs tokens; default: an RSA keypair with a private key. */
  signingKey: nonEmpty.optional(),
  scopes: z.array(nonEmpty).default(['openid', 'email', 'profile']),
  subjectMode: z
    .enum(['hashed_user_id', 'user_id', 'user_uuid', 'user_username', 'user_email', 'user_upn'])
    .default('user_username'),
  /** Accept plain http:// for a host that is not a loopback address. */
  allowHttp: z.boolean().default(false),
  /** Timeout of each API call, in seconds. */
  timeoutSeconds: z.number().positive().max(300).default(15),
  /** Upper bound on API calls per second across all jobs of one process; 0 means no bound. */
  maxRequestsPerSecond: z.number().min(0).default(0),
});

export const teamsSchema = z.record(nonEmpty, nonEmpty);

export const instanceOptionsSchema = z.strictObject({
  /** Keep EspoCRM's username/password login available after the switch to OIDC. */
  fallbackLogin: z.boolean().default(true),
  /** Let administrators sign in through OIDC. */
  allowAdminOidcLogin: z.boolean().default(false),
  /** Let regular users use the username/password fallback too (only admins may by default). */
  allowRegularUserFallback: z.boolean().default(false),
  /** Create an EspoCRM user on the first OIDC login of an unknown user. */
  createUsers: z.boolean().default(true),
  /** Copy name, email and phone from authentik on every login. */
  syncUserData: z.boolean().default(false),
  /** EspoCRM team name -> authentik group name. */
  teams: teamsSchema.default({}),
  /** Re-compute team membership on every login (only with teams). */
  syncTeams: z.boolean().default(false),
  /** OIDC scopes EspoCRM requests; EspoCRM always adds `openid`. */
  scopes: z.array(nonEmpty).default(['profile', 'email']),
});

export const instanceSchema = z.strictObject({
  /** Name used in Slack commands and the CLI. */
  name: nonEmpty,
  /** EspoCRM base URL (its `siteUrl`). */
  url: nonEmpty,
  /** An EspoCRM user of type admin, without two-factor authentication. */
  username: nonEmpty,
  passwordEnv: nonEmpty.optional(),
  passwordFile: nonEmpty.optional(),
  application: z.strictObject({
    slug: nonEmpty,
    name: nonEmpty,
  }),
  options: instanceOptionsSchema.default(() => instanceOptionsSchema.parse({})),
  allowHttp: z.boolean().default(false),
  /** Timeout of each EspoCRM API call, in seconds. */
  timeoutSeconds: z.number().positive().max(300).default(15),
  /** Upper bound on API calls per second to this instance; 0 means no bound. */
  maxRequestsPerSecond: z.number().min(0).default(0),
});

export const accessSchema = z.strictObject({
  requesters: z.array(slackPrincipal).default([]),
  approvers: z.array(slackPrincipal).default([]),
  allowSelfApproval: z.boolean().default(false),
  approvalTtlMinutes: z.number().int().positive().max(60 * 24 * 30).default(1440),
  auditChannel: nonEmpty.optional(),
  /** How long a resolved user group membership is reused, in seconds. */
  groupCacheSeconds: z.number().int().min(0).max(3600).default(60),
});

export const workerSchema = z.strictObject({
  /** Jobs one worker process runs at the same time. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** How long shutdown waits for an active job before giving up, in seconds. */
  shutdownTimeoutSeconds: z.number().positive().max(3600).default(30),
  /** How long finished jobs stay in Redis, in hours. */
  jobRetentionHours: z.number().positive().max(24 * 90).default(24 * 7),
  /** Attempts for a job that fails with a transient error. */
  attempts: z.number().int().min(1).max(20).default(5),
});

export const fileSchema = z.strictObject({
  authentik: authentikSchema,
  access: accessSchema.default(() => accessSchema.parse({})),
  instances: z.array(instanceSchema).min(1),
  worker: workerSchema.default(() => workerSchema.parse({})),
});

export type FileConfig = z.infer<typeof fileSchema>;
export type AuthentikFileConfig = z.infer<typeof authentikSchema>;
export type InstanceFileConfig = z.infer<typeof instanceSchema>;
export type InstanceOptions = z.infer<typeof instanceOptionsSchema>;
export type AccessConfig = z.infer<typeof accessSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
