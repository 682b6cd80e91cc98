import { type AuthentikPort } from '../authentik/types';
import { type AuthentikConfig, type InstanceConfig } from '../config/load';
import { type Secret } from '../config/secret';
import { type ErrorCode } from '../errors';
import { type EspoCrmPort } from '../espocrm/types';
import { type Logger } from '../logging/logger';

/** Kind of plan. `status` only reads. */
export type Operation = 'setup' | 'status' | 'rotate' | 'disable';

export const OPERATIONS: readonly Operation[] = ['setup', 'status', 'rotate', 'disable'];

/** Everything provisioning needs for one instance; clients come in as ports so tests and the CLI can drive it. */
export interface ProvisioningContext {
  authentikConfig: Pick<
    AuthentikConfig,
    'url' | 'apiUrl' | 'authorizationFlow' | 'invalidationFlow' | 'signingKey' | 'scopes' | 'subjectMode'
  >;
  instance: InstanceConfig;
  authentik: AuthentikPort;
  espocrm: EspoCrmPort;
  logger: Logger;
  /** Generates client secrets; replaced in tests. */
  generateSecret?: () => Secret;
  now?: () => Date;
}

/** One field that a plan changes. Secrets never appear: their values read "set", "changed" or "hidden". */
export interface Change {
  system: 'authentik' | 'espocrm';
  /** The object, e.g. `provider "EspoCRM (acme)"`, `application espocrm-acme`, `settings`. */
  object: string;
  action: 'create' | 'update' | 'delete';
  field: string;
  current: string | null;
  next: string | null;
}

/** A reason the plan must not be applied, with what to do about it. */
export interface PlanIssue {
  code: ErrorCode;
  message: string;
  /** Action that resolves the issue, without a closing period: renderers show it as "Fix: <fix>." */
  fix: string;
}

/** Fate of each object, in one word each. */
export interface PlanSummary {
  provider: 'create' | 'update' | 'adopt' | 'keep' | 'delete' | 'none';
  application: 'create' | 'update' | 'keep' | 'delete' | 'none';
  espocrm: 'update' | 'keep';
  /** Whether the client secret is generated anew. */
  newSecret: boolean;
  /** The client id EspoCRM will use, when it is known before the apply. */
  clientId: string | null;
  redirectUri: string | null;
  /** EspoCRM's login page. */
  loginUrl: string;
  authentikVersion: string | null;
  espocrmVersion: string | null;
  /** Whether EspoCRM uses OIDC now. */
  ssoEnabled: boolean;
}

/**
 * A reviewed description of a change, safe to store and to show, because it contains no secret. It
 * serialises to JSON. `fingerprint` is a hash of the state observed when it was made; an apply
 * re-reads the state and refuses to run when the hash differs.
 */
export interface Plan {
  formatVersion: 1;
  id: string;
  operation: Operation;
  instance: string;
  purge: boolean;
  createdAt: string;
  fingerprint: string;
  changes: Change[];
  warnings: string[];
  errors: PlanIssue[];
  summary: PlanSummary;
}

/** One step of an apply as it is reported while it runs. */
export interface ProgressEvent {
  step: string;
  status: 'started' | 'done' | 'failed' | 'skipped';
  detail?: string;
}

export type ProgressListener = (event: ProgressEvent) => void | Promise<void>;

/** One check after an apply. */
export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The outcome of an apply. Holds no secret. */
export interface ApplyResult {
  ok: boolean;
  planId: string;
  operation: Operation;
  instance: string;
  /** The changes made, as planned. */
  changes: Change[];
  clientId: string | null;
  loginUrl: string;
  checks: VerifyCheck[];
  /** Actions the rollback undid after a failure, one line each. */
  undone: string[];
  /** Objects the rollback could not undo: these need a person. */
  leftBehind: string[];
  error?: { code: ErrorCode; message: string; hint?: string; retryable: boolean };
}
