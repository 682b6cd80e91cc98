import { type FakeRequest, type FakeResponse, FakeServer } from '../common/fake-server';

import {
  type AuthTokenRecord,
  evaluateSignIn,
  type EspoUserType,
  type FakeEspoUser,
  isAdminType,
  type SignInCredentials,
  type SignInFailReason,
  UserDirectory,
} from './authentication';
import {
  emptyResponse,
  headerLine,
  HTML_CONTENT_TYPE,
  jsonResponse,
  parseRequestBody,
  readCredentials,
  statusReasonResponse,
  validationFailureResponse,
} from './espo-http';
import { FailedSignInTracker, type LockOutState } from './lock-out';
import { authorizationDataResponse, loginData, logoutRedirectUrl } from './oidc-config';
import { phpTruthy, PhpTypeError } from './php-semantics';
import { ConfigKeyTable, defaultSettingsFor, type EspoMode, ESPO_VERSIONS } from './settings-schema';
import { validateSettingsWrite } from './settings-validation';
import { TeamStore } from './teams';

export interface FakeEspoCrmOptions {
  /** EspoCRM version to imitate: '8.4' reports 8.4.2, '10.0' (the default) reports 10.0.0. */
  mode?: EspoMode;
  /** Stored `siteUrl`. Without it, `start()` stores the fake's own base URL. */
  siteUrl?: string;
  /** Delay added to every response, in milliseconds. */
  latencyMs?: number;
  /** Clock in milliseconds for lock-outs and token idle time. Defaults to Date.now. */
  now?: () => number;
}

export interface AddUserOptions {
  userName: string;
  /** Ignored for API users, which sign in with their `apiKey`. */
  password?: string;
  type: EspoUserType;
  /** Sets up TOTP for the user, as described at FakeEspoCrm.addUser. */
  twoFactor?: boolean;
}

/** An auth token as tests see it. */
export interface AuthTokenInfo {
  token: string;
  userName: string;
  active: boolean;
  createdAt: number;
  lastUsedAt: number;
}

export interface FakeTeam {
  id: string;
  name: string;
}

/** Result of a username/password sign-in under the current settings, ignoring lock-outs. */
export interface PasswordSignInResult {
  passes: boolean;
  outcome: 'success' | 'second-step-required' | 'server-error' | SignInFailReason;
}

const API = '/api/v1';

type AuthResult =
  | { kind: 'user'; user: FakeEspoUser; token: string | null }
  | { kind: 'anonymous' }
  | { kind: 'response'; response: FakeResponse };

/**
 * A loopback EspoCRM that accepts, stores and rejects OIDC settings as the real server
 * (8.4.2 or 10.0.0) does. It covers sign-in and tokens, 2FA, the lock-out per address, the
 * Settings API with its loose validation, teams and the OIDC authorization data.
 */
export class FakeEspoCrm {
  readonly server: FakeServer;
  readonly mode: EspoMode;
  readonly version: string;

  private readonly now: () => number;
  private readonly config: Map<string, unknown>;
  private readonly keys: ConfigKeyTable;
  private readonly users: UserDirectory;
  private readonly failedSignIns: FailedSignInTracker;
  private readonly teamStore: TeamStore;
  private readonly unknownKeys: string[] = [];
  private readonly siteUrlOption: string | undefined;

  constructor(options: FakeEspoCrmOptions = {}) {
    this.mode = options.mode ?? '10.0';
    this.version = ESPO_VERSIONS[this.mode];
    this.now = options.now ?? Date.now;
    this.config = defaultSettingsFor(this.mode);
    this.keys = new ConfigKeyTable(this.mode);
    this.users = new UserDirectory(this.now);
    this.failedSignIns = new FailedSignInTracker(this.now);
    this.teamStore = new TeamStore(this.now, () => this.users.nextId());
    this.siteUrlOption = options.siteUrl;
    if (options.siteUrl !== undefined) this.config.set('siteUrl', options.siteUrl);

    this.server = new FakeServer({ name: 'fake EspoCRM', latencyMs: options.latencyMs });
    this.registerRoutes();
  }

  /** Starts listening on 127.0.0.1 and returns the base URL (without `/api/v1`). */
  async start(port = 0): Promise<string> {
    const url = await this.server.start(port);
    if (this.siteUrlOption === undefined && !this.config.has('siteUrl')) this.config.set('siteUrl', url);
    return url;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  get url(): string {
    return this.server.url;
  }

  /**
   * Adds a user. With `twoFactor`, the user gets a TOTP code (see `totpCode`) and 2FA is
   * switched on system-wide (`auth2FA` true, `Totp` in `auth2FAMethodList`), because EspoCRM
   * requires the second step only then.
   */
  addUser(options: AddUserOptions): FakeEspoUser {
    const user = this.users.add(options.userName, options.password ?? '', options.type, options.twoFactor ?? false);
    if (options.twoFactor) {
      this.config.set('auth2FA', true);
      const methods = this.config.get('auth2FAMethodList');
      const list = Array.isArray(methods) ? methods : [];
      if (!list.includes('Totp')) this.config.set('auth2FAMethodList', [...list, 'Totp']);
    }
    return { ...user };
  }

  /** Returns the TOTP code that passes the second step for the user. */
  totpCode(userName: string): string {
    const code = this.users.findByUserName(userName, { includeApi: true })?.totpCode;
    if (!code) throw new Error(`fake EspoCRM: user "${userName}" does not exist or has no 2FA`);
    return code;
  }

  /** Adds a team and returns its id. Names need not be unique, as in EspoCRM. */
  addTeam(name: string): string {
    return this.teamStore.add(name, null).id;
  }

  get teams(): FakeTeam[] {
    return this.teamStore.all().map((team) => ({ id: team.id, name: team.name }));
  }

  /** The full stored config, including `oidcClientSecret` and unknown keys, as a deep copy. */
  get settings(): Record<string, unknown> {
    return Object.fromEntries([...this.config].map(([key, value]) => [key, structuredClone(value)]));
  }

  /**
   * Stores values without validation, for seeding a scenario. A value of `undefined` removes
   * the key. Keys seeded here are not reported by `unknownKeysWritten`.
   */
  setSettings(partial: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(partial)) {
      if (value === undefined) this.config.delete(key);
      else this.config.set(key, structuredClone(value));
    }
  }

  /** Keys that `PUT /api/v1/Settings` stored although this EspoCRM version does not know them. */
  unknownKeysWritten(): string[] {
    return [...this.unknownKeys];
  }

  /**
   * Tells whether a username/password sign-in would pass now under the current settings
   * (method, OIDC fallback rules, 2FA). Lock-outs are not considered, and nothing is logged.
   */
  passwordSignIn(userName: string, password: string, code: string | null = null): PasswordSignInResult {
    const credentials: SignInCredentials = {
      method: null,
      username: userName,
      password,
      byTokenHeader: false,
      apiKeyHeader: null,
      code,
    };
    const outcome = evaluateSignIn(credentials, this.signInContext());
    if (outcome.kind === 'failure') return { passes: false, outcome: outcome.reason };
    return { passes: outcome.kind === 'success', outcome: outcome.kind };
  }

  /** Lock-out state of every caller address with a denied sign-in in the last 60 seconds. */
  get lockOuts(): LockOutState[] {
    return this.failedSignIns.snapshot();
  }

  clearLockOuts(): void {
    this.failedSignIns.clear();
  }

  /** Every auth token issued so far, revoked ones included. */
  get authTokens(): AuthTokenInfo[] {
    return this.users.allTokens().map((record) => ({
      token: record.token,
      userName: this.users.byId(record.userId)?.userName ?? '',
      active: this.users.isUsable(record),
      createdAt: record.createdAt,
      lastUsedAt: record.lastUsedAt,
    }));
  }

  private registerRoutes(): void {
    const server = this.server;
    server.route('GET', `${API}/App/user`, (request) =>
      this.signedInOnly(request, (user, token) => this.appUserData(user, token)),
    );
    server.route('POST', `${API}/App/destroyAuthToken`, (request) =>
      this.signedInOnly(request, () => this.destroyAuthToken(request)),
    );

    server.route('GET', `${API}/Settings`, (request) => this.getSettings(request));
    server.route('PUT', `${API}/Settings`, (request) =>
      this.signedInOnly(request, (user) => this.putSettings(request, user)),
    );
    // PATCH has a route, but the Settings controller has no such action. POST reaches the
    // generic create route, which the controller lacks too. Both sign the caller in first.
    server.route('PATCH', `${API}/Settings`, (request) => this.signedInOnly(request, () => emptyResponse(404)));
    server.route('POST', `${API}/Settings`, (request) => this.signedInOnly(request, () => emptyResponse(404)));
    // No DELETE route matches, so the router returns 405 before any sign-in.
    server.route('DELETE', `${API}/Settings`, () => emptyResponse(405));

    const teams = this.teamStore;
    server.route('GET', `${API}/Team`, (request) => this.signedInOnly(request, () => teams.list(request)));
    server.route('POST', `${API}/Team`, (request) =>
      this.signedInOnly(request, (user) =>
        // NOTE: EspoCRM grants create access by role. The fake lets only admins create teams.
        isAdminType(user.type) ? teams.create(request, user.id) : emptyResponse(403),
      ),
    );
    server.route('GET', `${API}/Team/:id`, (request) =>
      this.signedInOnly(request, () => teams.read(request.params.id)),
    );

    server.route('GET', `${API}/Oidc/authorizationData`, (request) => {
      const auth = this.authenticate(request, false);
      if (auth.kind === 'response') return auth.response;
      return authorizationDataResponse(this.config, this.version);
    });
  }

  // ---- Authentication ----

  private signInContext() {
    return { users: this.users, setting: (key: string) => this.config.get(key) };
  }

  /**
   * Signs the caller in as EspoCRM's Api\Auth and Authentication::login do. On a route that
   * needs no sign-in (`authRequired` false), failed credentials fall back to an anonymous call,
   * but lock-outs and server errors still end the request.
   */
  private authenticate(request: FakeRequest, authRequired: boolean): AuthResult {
    const read = readCredentials(request);
    if ('response' in read) return { kind: 'response', response: read.response };
    const credentials = read.credentials;

    if (!credentials) {
      if (!authRequired) return { kind: 'anonymous' };
      return { kind: 'response', response: this.unauthorizedWithoutCredentials(request) };
    }

    const address = request.remoteAddress;
    const bypassesLockOut = !credentials.method && credentials.byTokenHeader;
    if (!bypassesLockOut && this.failedSignIns.isLockedOut(address)) {
      return { kind: 'response', response: emptyResponse(403) };
    }

    const outcome = evaluateSignIn(credentials, this.signInContext());
    switch (outcome.kind) {
      case 'server-error':
        return { kind: 'response', response: emptyResponse(500) };
      case 'failure':
        if (outcome.countsAsDenied) this.failedSignIns.recordDenied(address);
        return authRequired ? { kind: 'response', response: emptyResponse(401) } : { kind: 'anonymous' };
      case 'second-step-required':
        // EspoCRM sets the signed-in user before the 2FA step, so a route that needs no sign-in
        // runs as that user even though the second step is missing.
        if (!authRequired) return { kind: 'user', user: outcome.user, token: null };
        return { kind: 'response', response: this.secondStepRequiredResponse() };
      case 'success':
        return { kind: 'user', user: outcome.user, token: this.finishTokenSignIn(request, outcome) };
    }
  }

  // A token is issued or renewed only for requests with `Espo-Authorization`. Basic and API-key
  // sign-ins get token null.
  private finishTokenSignIn(
    request: FakeRequest,
    outcome: { user: FakeEspoUser; token: AuthTokenRecord | null },
  ): string | null {
    if (!headerLine(request, 'espo-authorization')) return null;
    if (outcome.token) {
      outcome.token.lastUsedAt = this.now();
      return outcome.token.token;
    }
    return this.users.createToken(outcome.user.id).token;
  }

  // EspoCRM sends a Basic challenge only to callers that look like a browser navigation:
  // no `X-Requested-With: XMLHttpRequest` and no Referer.
  private unauthorizedWithoutCredentials(request: FakeRequest): FakeResponse {
    const isXmlHttpRequest = (headerLine(request, 'x-requested-with') ?? '').toLowerCase() === 'xmlhttprequest';
    const showsDialog = !isXmlHttpRequest && !headerLine(request, 'referer');
    return emptyResponse(401, showsDialog ? { 'WWW-Authenticate': 'Basic realm=""' } : {});
  }

  private secondStepRequiredResponse(): FakeResponse {
    const body = { status: 'secondStepRequired', message: 'enterTotpCode', view: null, token: null, data: null };
    return {
      status: 401,
      headers: { 'Content-Type': HTML_CONTENT_TYPE, 'X-Status-Reason': 'second-step-required' },
      body: JSON.stringify(body),
    };
  }

  /** Runs `handler` for a signed-in caller, or returns the sign-in error response. */
  private signedInOnly(
    request: FakeRequest,
    handler: (user: FakeEspoUser, token: string | null) => FakeResponse,
  ): FakeResponse {
    const auth = this.authenticate(request, true);
    if (auth.kind === 'response') return auth.response;
    if (auth.kind === 'anonymous') return emptyResponse(401);
    return handler(auth.user, auth.token);
  }

  // ---- App ----

  private appUserData(user: FakeEspoUser, token: string | null): FakeResponse {
    const method = this.config.get('authenticationMethod') ?? 'Espo';
    return jsonResponse({
      user: {
        id: user.id,
        name: user.userName,
        userName: user.userName,
        type: user.type,
        isActive: true,
        isAdmin: isAdminType(user.type),
        teamsIds: [],
        teamsNames: {},
        defaultTeamId: null,
        defaultTeamName: null,
        token,
      },
      acl: {},
      preferences: {},
      token,
      settings: this.settingsView(user),
      language: this.config.get('language') ?? 'en_US',
      appParams: {
        isRestrictedMode: this.config.get('restrictedMode') ?? null,
        passwordChangeForNonAdminDisabled: method !== 'Espo',
        auth2FARequired: false,
        logoutWait: method === 'Oidc',
      },
    });
  }

  private destroyAuthToken(request: FakeRequest): FakeResponse {
    const body = parseRequestBody(request);
    if ('response' in body) return body.response;
    const token = body.data.get('token');
    if (typeof token !== 'string' || !phpTruthy(token)) return statusReasonResponse(400, 'No `token`.');

    const record = this.users.findToken(token);
    if (!record) return jsonResponse(false);
    // Any signed-in user may revoke any token that has no cookie secret, as in EspoCRM.
    record.active = false;

    const response = jsonResponse(true);
    const redirectUrl = logoutRedirectUrl(this.config);
    if (redirectUrl) response.headers = { ...response.headers, 'X-Logout-Redirect-Url': redirectUrl };
    return response;
  }

  // ---- Settings ----

  private getSettings(request: FakeRequest): FakeResponse {
    const auth = this.authenticate(request, false);
    if (auth.kind === 'response') return auth.response;
    const viewer = auth.kind === 'user' ? auth.user : null;
    return jsonResponse(this.withLoginData(this.settingsView(viewer)));
  }

  private putSettings(request: FakeRequest, user: FakeEspoUser): FakeResponse {
    if (!isAdminType(user.type)) return emptyResponse(403, { 'X-Status-Reason': '' });

    const body = parseRequestBody(request);
    if ('response' in body) return body.response;
    const data = body.data;
    for (const key of [...data.keys()]) {
      if (this.keys.isIgnoredOnWrite(key)) data.delete(key);
    }

    let failure: ReturnType<typeof validateSettingsWrite>;
    try {
      failure = validateSettingsWrite(data, this.mode);
    } catch (error) {
      if (error instanceof PhpTypeError) return emptyResponse(500);
      throw error;
    }
    if (failure) return validationFailureResponse('Settings', failure.field, failure.type);

    for (const [key, value] of data) {
      this.config.set(key, structuredClone(value));
      if (!this.keys.isKnown(key) && !this.unknownKeys.includes(key)) this.unknownKeys.push(key);
    }
    return jsonResponse(this.withLoginData(this.settingsView(user)));
  }

  /**
   * Returns the config as `GET /api/v1/Settings` shows it to `viewer` (null: not signed in).
   * Internal, system and password-type keys are never shown, admin-level keys only to admins,
   * and callers without sign-in see only global keys. Unknown keys count as default level.
   */
  private settingsView(viewer: FakeEspoUser | null): Record<string, unknown> {
    const entries: [string, unknown][] = [];
    for (const [key, value] of this.config) {
      const level = this.keys.levelOf(key);
      if (level === 'system' || level === 'internal' || this.keys.isPasswordField(key)) continue;
      if (viewer === null && level !== 'global') continue;
      if (viewer !== null && !isAdminType(viewer.type) && level === 'admin') continue;
      entries.push([key, structuredClone(value)]);
    }
    return Object.fromEntries(entries);
  }

  private withLoginData(view: Record<string, unknown>): Record<string, unknown> {
    const data = loginData(this.config);
    return data ? { ...view, loginData: data } : view;
  }
}
