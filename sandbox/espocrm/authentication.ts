import { randomBytes, randomInt } from 'node:crypto';

import { phpTruthy } from './php-semantics';

/**
 * Users, auth tokens and the sign-in decision of EspoCRM's Authentication::login, without the
 * HTTP side effects (lock-out check, denial log, token creation), which FakeEspoCrm applies.
 */

export type EspoUserType = 'admin' | 'regular' | 'super-admin' | 'api';

export interface FakeEspoUser {
  /** 17-character record id, like the ids EspoCRM generates. */
  id: string;
  userName: string;
  /** Password of a non-API user. API users cannot sign in with a password. */
  password: string;
  type: EspoUserType;
  /** Six-digit TOTP code that the fake accepts as the second step, or null without 2FA. */
  totpCode: string | null;
  /** Value for the `X-Api-Key` header of an API user, or null for other users. */
  apiKey: string | null;
}

/** One auth token as the fake stores it. */
export interface AuthTokenRecord {
  token: string;
  userId: string;
  /** False after `POST /api/v1/App/destroyAuthToken`. */
  active: boolean;
  createdAt: number;
  lastUsedAt: number;
}

/** EspoCRM's default authTokenMaxIdleTime: a token unused for 48 hours stops working. */
export const AUTH_TOKEN_MAX_IDLE_MS = 48 * 60 * 60 * 1000;

/** Returns whether the user type counts as admin (`User::isAdmin()`). */
export function isAdminType(type: EspoUserType): boolean {
  return type === 'admin' || type === 'super-admin';
}

/**
 * Generates a 17-character id in EspoCRM's default format: 13 hexadecimal digits from the
 * time (PHP `uniqid()`) followed by 4 random hexadecimal digits.
 */
export function generateEspoId(nowMs: number, sequence: number): string {
  const seconds = Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8);
  const micros = ((nowMs % 1000) * 1000 + (sequence % 1000)).toString(16).padStart(5, '0').slice(-5);
  return `${seconds}${micros}${randomBytes(2).toString('hex')}`;
}

/** The users and auth tokens of one fake instance. */
export class UserDirectory {
  private readonly users = new Map<string, FakeEspoUser>();
  private readonly tokens = new Map<string, AuthTokenRecord>();
  private sequence = 0;

  constructor(private readonly now: () => number) {}

  nextId(): string {
    this.sequence += 1;
    return generateEspoId(this.now(), this.sequence);
  }

  add(userName: string, password: string, type: EspoUserType, twoFactor: boolean): FakeEspoUser {
    if (this.findByUserName(userName, { includeApi: true })) {
      throw new Error(`fake EspoCRM: a user named "${userName}" already exists`);
    }
    const user: FakeEspoUser = {
      id: this.nextId(),
      userName,
      password,
      type,
      totpCode: twoFactor ? String(randomInt(0, 1_000_000)).padStart(6, '0') : null,
      apiKey: type === 'api' ? randomBytes(16).toString('hex') : null,
    };
    this.users.set(user.id, user);
    return user;
  }

  byId(id: string): FakeEspoUser | undefined {
    return this.users.get(id);
  }

  /**
   * Finds a user by name, ignoring case like MySQL's default collation. API users are left out
   * unless asked for, as EspoCRM's UserFinder does for password sign-ins.
   */
  findByUserName(userName: string, options: { includeApi?: boolean } = {}): FakeEspoUser | undefined {
    const lowerCaseName = userName.toLowerCase();
    for (const user of this.users.values()) {
      if (user.type === 'api' && !options.includeApi) continue;
      if (user.userName.toLowerCase() === lowerCaseName) return user;
    }
    return undefined;
  }

  findByApiKey(apiKey: string): FakeEspoUser | undefined {
    for (const user of this.users.values()) {
      if (user.type === 'api' && user.apiKey === apiKey) return user;
    }
    return undefined;
  }

  /** Creates a token of 32 hexadecimal digits, as EspoCRM does on every password sign-in. */
  createToken(userId: string): AuthTokenRecord {
    const record: AuthTokenRecord = {
      token: randomBytes(16).toString('hex'),
      userId,
      active: true,
      createdAt: this.now(),
      lastUsedAt: this.now(),
    };
    this.tokens.set(record.token, record);
    return record;
  }

  /** Returns a stored token, active or not. */
  findToken(token: string): AuthTokenRecord | undefined {
    return this.tokens.get(token);
  }

  /** Returns whether the token is active and was used within the maximum idle time. */
  isUsable(record: AuthTokenRecord): boolean {
    return record.active && this.now() - record.lastUsedAt <= AUTH_TOKEN_MAX_IDLE_MS;
  }

  allTokens(): AuthTokenRecord[] {
    return [...this.tokens.values()];
  }
}

/** Credentials taken from one request. */
export interface SignInCredentials {
  /** `ApiKey` when the request carries `X-Api-Key` and no `Espo-Authorization`, else null. */
  method: 'ApiKey' | null;
  username: string | null;
  password: string | null;
  /** Whether `Espo-Authorization-By-Token` is exactly "true". */
  byTokenHeader: boolean;
  /** The `X-Api-Key` header value, or null. */
  apiKeyHeader: string | null;
  /** The `Espo-Authorization-Code` header value (the 2FA code), or null. */
  code: string | null;
}

export type SignInFailReason =
  | 'no-password'
  | 'wrong-credentials'
  | 'method-not-allowed'
  | 'token-not-found'
  | 'discrepant-data'
  | 'wrong-code';

export type SignInOutcome =
  | { kind: 'success'; user: FakeEspoUser; token: AuthTokenRecord | null }
  | { kind: 'second-step-required'; user: FakeEspoUser }
  /** `countsAsDenied`: EspoCRM logs a denied attempt, which counts towards the lock-out. */
  | { kind: 'failure'; reason: SignInFailReason; countsAsDenied: boolean }
  /** EspoCRM throws, so the request gets 500. */
  | { kind: 'server-error'; detail: string };

export interface SignInContext {
  users: UserDirectory;
  /** Reads a stored config value (undefined when absent). */
  setting(key: string): unknown;
}

type LoginResult = { user: FakeEspoUser } | { reason: SignInFailReason } | { error: string };

/**
 * Decides a sign-in as EspoCRM's Authentication::login does after the lock-out check.
 * Nothing is changed: no denial is logged, no token is created or renewed.
 */
export function evaluateSignIn(credentials: SignInCredentials, context: SignInContext): SignInOutcome {
  const { users } = context;
  if (!credentials.method && credentials.password === null) {
    return { kind: 'failure', reason: 'no-password', countsAsDenied: false };
  }

  // Without an explicit method, the password is first looked up as an auth token.
  const storedToken =
    !credentials.method && credentials.password !== null ? users.findToken(credentials.password) : undefined;
  const tokenFound = storedToken !== undefined;
  const token = storedToken && users.isUsable(storedToken) ? storedToken : null;

  if (credentials.method && credentials.byTokenHeader) {
    return { kind: 'failure', reason: 'discrepant-data', countsAsDenied: false };
  }
  if (credentials.byTokenHeader && !token) {
    return { kind: 'failure', reason: 'token-not-found', countsAsDenied: false };
  }

  const storedMethod = context.setting('authenticationMethod');
  const method = credentials.method ?? configuredMethod(storedMethod);
  if (method === null) {
    return { kind: 'server-error', detail: `no login class for authenticationMethod ${JSON.stringify(storedMethod)}` };
  }
  const result = runLogin(method, credentials, token, context);
  if ('error' in result) return { kind: 'server-error', detail: result.error };

  // EspoCRM writes an auth log record only when no stored token matched the password, and only
  // a denied record counts towards the lock-out.
  if ('reason' in result) return { kind: 'failure', reason: result.reason, countsAsDenied: !tokenFound };

  if (!token && requiresSecondStep(result.user, context)) {
    if (!credentials.code) return { kind: 'second-step-required', user: result.user };
    if (credentials.code !== result.user.totpCode) {
      return { kind: 'failure', reason: 'wrong-code', countsAsDenied: !tokenFound };
    }
  }
  return { kind: 'success', user: result.user, token };
}

type LoginMethod = 'Espo' | 'LDAP' | 'Oidc' | 'ApiKey' | 'Hmac';

const LOGIN_METHODS: readonly string[] = ['Espo', 'LDAP', 'Oidc', 'ApiKey', 'Hmac'];

/**
 * Returns the login method EspoCRM uses for a stored `authenticationMethod`, or null when
 * EspoCRM has no login class for it and every sign-in fails with 500. Absent and null read
 * as Espo. The match is exact, so "oidc" in lower case has no login class.
 */
function configuredMethod(stored: unknown): LoginMethod | null {
  if (stored === undefined || stored === null) return 'Espo';
  if (typeof stored === 'string' && LOGIN_METHODS.includes(stored)) return stored as LoginMethod;
  return null;
}

function runLogin(
  method: LoginMethod,
  credentials: SignInCredentials,
  token: AuthTokenRecord | null,
  context: SignInContext,
): LoginResult {
  switch (method) {
    case 'Espo':
      return espoLogin(credentials, token, context.users);
    case 'Oidc':
      return oidcLogin(credentials, token, context);
    case 'LDAP':
      return ldapLogin(credentials, token, context.users);
    case 'ApiKey':
      return apiKeyLogin(credentials, context.users);
    case 'Hmac':
      // NOTE: HMAC request signing is not modelled, so every HMAC sign-in fails.
      return { reason: 'wrong-credentials' };
  }
}

// Logins\Espo: with a token, the user with the sent name must own the token. Without a token,
// the password must match.
function espoLogin(credentials: SignInCredentials, token: AuthTokenRecord | null, users: UserDirectory): LoginResult {
  const { username, password } = credentials;
  if (!phpTruthy(username) || username === null) return { reason: 'wrong-credentials' };
  if (!phpTruthy(password) || password === null) return { reason: 'no-password' };

  const user = users.findByUserName(username);
  if (!user) return { reason: 'wrong-credentials' };
  if (token) return user.id === token.userId ? { user } : { reason: 'wrong-credentials' };
  return user.password === password ? { user } : { reason: 'wrong-credentials' };
}

// Oidc\Login without an authorization code: the username/password fallback. A token sign-in
// always passes. A password sign-in needs oidcFallback, and regular users also need
// oidcAllowRegularUserFallback. Admins and super-admins need only oidcFallback.
function oidcLogin(credentials: SignInCredentials, token: AuthTokenRecord | null, context: SignInContext): LoginResult {
  if (credentials.username === '**oidc') {
    // NOTE: the authorization-code exchange with the identity provider is not modelled.
    return { error: 'the fake does not run the OIDC authorization-code sign-in' };
  }
  if (!token && !phpTruthy(context.setting('oidcFallback'))) return { reason: 'method-not-allowed' };

  const result = espoLogin(credentials, token, context.users);
  if (!('user' in result) || token) return result;

  if (result.user.type === 'regular' && !phpTruthy(context.setting('oidcAllowRegularUserFallback'))) {
    return { reason: 'method-not-allowed' };
  }
  return result;
}

// Ldap\LdapLogin: a token sign-in needs the token owner's name (any case). The fake has no LDAP
// directory, so a password sign-in takes EspoCRM's path for an unreachable LDAP server: only
// admins and super-admins pass, with their EspoCRM password.
function ldapLogin(credentials: SignInCredentials, token: AuthTokenRecord | null, users: UserDirectory): LoginResult {
  const { username, password } = credentials;
  if (token) {
    const owner = users.byId(token.userId);
    const matches = owner !== undefined && username !== null && owner.userName.toLowerCase() === username.toLowerCase();
    return matches ? { user: owner } : { reason: 'wrong-credentials' };
  }
  if (!phpTruthy(password) || password === null || username === null) return { reason: 'no-password' };

  const user = users.findByUserName(username);
  if (user && isAdminType(user.type) && user.password === password) return { user };
  return { reason: 'wrong-credentials' };
}

function apiKeyLogin(credentials: SignInCredentials, users: UserDirectory): LoginResult {
  if (!phpTruthy(credentials.apiKeyHeader) || credentials.apiKeyHeader === null) return { reason: 'wrong-credentials' };
  const user = users.findByApiKey(credentials.apiKeyHeader);
  return user ? { user } : { reason: 'wrong-credentials' };
}

// The TOTP second step applies when 2FA is on (auth2FA), TOTP is an allowed method
// (auth2FAMethodList) and the user has set it up.
function requiresSecondStep(user: FakeEspoUser, context: SignInContext): boolean {
  if (user.totpCode === null) return false;
  if (!phpTruthy(context.setting('auth2FA'))) return false;
  const methods = context.setting('auth2FAMethodList');
  return Array.isArray(methods) && methods.includes('Totp');
}
