import { Secret } from '../config/secret';
import { EspoSsoError } from '../errors';
import { type UpstreamObserver } from '../http/observer';
import { type RateLimiter } from '../http/rate-limiter';
import { createSilentLogger, registerSecretValue, type Logger } from '../logging/logger';
import {
  authorizationDataSchema,
  readEspoSettings,
  readPublicSettings,
  signInResponseSchema,
  teamPageSchema,
  validationFailureSchema,
} from './schemas';
import { buildSettingsBody, findUnstoredFields, type SettingsBody } from './settings';
import {
  assertOk,
  EspoTransport,
  parseJson,
  readBody,
  readerOf,
  statusError,
  type Call,
  type RawResponse,
} from './transport';
import {
  type AuthorizationData,
  type EspoCrmPort,
  type EspoSettings,
  type EspoTeam,
  type EspoUser,
  type OidcSettingsWrite,
  type PublicSettings,
} from './types';

export interface EspoCrmClientOptions {
  /** EspoCRM base URL without a trailing slash, e.g. `https://crm.example.com`. */
  url: string;
  /** An EspoCRM user of type admin without two-factor authentication. */
  username: string;
  password: Secret;
  /** Deadline of each HTTP call, in milliseconds. */
  timeoutMs: number;
  /** Sent as `X-Correlation-Id` on every request. */
  correlationId: string;
  observer?: UpstreamObserver;
  rateLimiter?: RateLimiter;
  logger?: Logger;
}

/**
 * Teams per `GET /api/v1/Team` page: EspoCRM's default `recordListMaxSizeLimit`. An instance
 * configured with a lower limit rejects these calls.
 */
const TEAM_PAGE_SIZE = 200;

/** EspoCRM user types with admin rights. */
const ADMIN_TYPES = new Set(['admin', 'super-admin']);

const SETTINGS_ROUTE = '/api/v1/Settings';

interface Session {
  user: EspoUser;
  token: Secret;
}

/**
 * `EspoCrmPort` over EspoCRM's REST API. One instance serves one run. It signs in with the
 * password once and then sends the token with `Espo-Authorization-By-Token: true`, because every
 * failed password sign-in counts toward EspoCRM's lock-out of the caller's address. A second
 * password sign-in happens only on a later call after a retryable failure (5xx, timeout, reset).
 * The client does not log the password, the token, an authorization header or a request body,
 * and puts none of them in an error.
 */
export class EspoCrmClient implements EspoCrmPort {
  private readonly transport: EspoTransport;
  private readonly logger: Logger;
  /** The one password sign-in of this client; cleared only after a retryable failure. */
  private session: Promise<Session> | undefined;
  private signedOut = false;

  constructor(private readonly options: EspoCrmClientOptions) {
    this.logger = options.logger ?? createSilentLogger();
    this.transport = new EspoTransport({ ...options, logger: this.logger });
  }

  async signIn(): Promise<EspoUser> {
    const session = await this.ensureSession();
    return session.user;
  }

  async getSettings(): Promise<EspoSettings> {
    const call: Call = { method: 'GET', route: SETTINGS_ROUTE };
    const response = await this.transport.send(call, await this.tokenHeaders());
    assertOk(call, response);
    return readBody(call, response, readEspoSettings);
  }

  async getPublicSettings(): Promise<PublicSettings> {
    const call: Call = { method: 'GET', route: SETTINGS_ROUTE };
    const response = await this.transport.send(call);
    assertOk(call, response);
    return readBody(call, response, readPublicSettings);
  }

  async getAuthorizationData(): Promise<AuthorizationData | undefined> {
    const call: Call = { method: 'GET', route: '/api/v1/Oidc/authorizationData' };
    const response = await this.transport.send(call);
    // EspoCRM returns 403 while OIDC is not the login method.
    if (response.status === 403) return undefined;
    assertOk(call, response);
    return readBody(call, response, readerOf(authorizationDataSchema));
  }

  async listTeams(): Promise<EspoTeam[]> {
    const teams = new Map<string, EspoTeam>();
    for (let offset = 0; ; offset += TEAM_PAGE_SIZE) {
      const call: Call = {
        method: 'GET',
        route: '/api/v1/Team',
        query: { select: 'id,name', maxSize: TEAM_PAGE_SIZE, offset },
      };
      const response = await this.transport.send(call, await this.tokenHeaders());
      assertOk(call, response);
      const page = readBody(call, response, readerOf(teamPageSchema));
      // A team can appear on two pages when teams are added while paging, so ids are deduplicated.
      for (const team of page.list) teams.set(team.id, { id: team.id, name: team.name });

      // A negative total is read as unknown, so then a short page marks the end.
      const seen = offset + page.list.length;
      const complete = page.total >= 0 ? seen >= page.total : page.list.length < TEAM_PAGE_SIZE;
      if (complete || page.list.length === 0) break;
    }
    return [...teams.values()];
  }

  async writeSettings(version: string, settings: OidcSettingsWrite): Promise<EspoSettings> {
    // Validation throws before any request, so an invalid body never reaches EspoCRM.
    const body = buildSettingsBody(version, settings);
    const call: Call = { method: 'PUT', route: SETTINGS_ROUTE, body: serializeSettingsBody(body) };
    const response = await this.transport.send(call, await this.tokenHeaders());
    if (response.status === 400) throw settingsRejected(call, response);
    assertOk(call, response);

    // EspoCRM returns 200 even when it ignored the body, so what it stored is compared with what
    // was sent. Its PUT answer carries the stored settings, which saves a second round trip; an
    // answer without them (a proxy, an unexpected body) falls back to reading them again.
    const answered = readEspoSettings(parseJson(response.body));
    const stored = answered.ok ? answered.value : await this.getSettings();
    const unstored = findUnstoredFields(body.fields, stored);
    if (unstored.length > 0) {
      throw new EspoSsoError(
        'verify_failed',
        `EspoCRM accepted the settings write but stores different values for ${unstored.join(', ')}.`,
        {
          system: 'espocrm',
          hint:
            'Compare the settings in EspoCRM (Administration > Authentication) with the plan, ' +
            'and check whether another change raced this one.',
        },
      );
    }
    return stored;
  }

  async signOut(): Promise<void> {
    const pending = this.session;
    this.signedOut = true;
    if (!pending) return;

    let session: Session;
    try {
      session = await pending;
    } catch {
      // The sign-in failed, so no token exists and the caller already got that error.
      return;
    }
    await this.revokeTokenQuietly(session);
  }

  /** Returns the session, signing in with the password on the first call only. */
  private ensureSession(): Promise<Session> {
    if (this.signedOut) {
      const message = 'This EspoCRM client was signed out; create a new client to sign in again.';
      return Promise.reject(new EspoSsoError('internal', message, { system: 'espocrm' }));
    }
    if (!this.session) {
      const attempt = this.signInWithPassword();
      this.session = attempt;
      // A retryable failure (5xx, timeout, reset) is not a denied sign-in, so a later call may
      // try again. Every other failure is returned to each later call as is.
      attempt.catch((error: unknown) => {
        const retryable = error instanceof EspoSsoError && error.retryable;
        if (retryable && this.session === attempt) this.session = undefined;
      });
    }
    return this.session;
  }

  /** Returns the headers that authenticate a call with this run's token, signing in first if needed. */
  private async tokenHeaders(knownSession?: Session): Promise<Record<string, string>> {
    const session = knownSession ?? (await this.ensureSession());
    return {
      'Espo-Authorization': encodeCredentials(this.options.username, session.token.reveal()),
      // Without this header a request with a valid token still gets 403 while the address is locked out.
      'Espo-Authorization-By-Token': 'true',
    };
  }

  private async signInWithPassword(): Promise<Session> {
    const username = this.options.username;
    const call: Call = { method: 'GET', route: '/api/v1/App/user' };
    const response = await this.transport.send(call, {
      'Espo-Authorization': encodeCredentials(username, this.options.password.reveal()),
    });

    if (response.status === 401) throw this.signInRejected(response);
    if (response.status === 403 && response.body.trim() === '') {
      const message = `EspoCRM blocked the sign-in of user "${username}" from this address (403 with an empty body).`;
      throw new EspoSsoError('locked_out', message, {
        system: 'espocrm',
        status: 403,
        hint:
          'Wait about a minute before trying again: EspoCRM blocks an address for about a minute ' +
          'after repeated failed sign-ins.',
      });
    }
    if (response.status >= 500) {
      throw statusError(
        call,
        response,
        "If every sign-in fails with 500, check authenticationMethod in EspoCRM's data/config.php: " +
          'with an unknown value there, every sign-in fails until that file is edited.',
      );
    }
    assertOk(call, response);

    const data = readBody(call, response, readerOf(signInResponseSchema));
    const user: EspoUser = { id: data.user.id, userName: data.user.userName, type: data.user.type };
    if (data.token === null) {
      throw new EspoSsoError('invalid_response', `EspoCRM signed in user "${username}" but returned no auth token.`, {
        system: 'espocrm',
        status: response.status,
        hint:
          'EspoCRM returns "token": null when a request is authenticated with Authorization: Basic; ' +
          'check that no proxy in front of EspoCRM adds or rewrites authorization headers.',
      });
    }
    registerSecretValue(data.token);
    const session: Session = { user, token: new Secret(data.token) };

    if (!ADMIN_TYPES.has(user.type)) {
      await this.revokeTokenQuietly(session);
      const message =
        `EspoCRM user "${user.userName}" is of type "${user.type}", ` + 'but changing settings needs an administrator.';
      throw new EspoSsoError('not_admin', message, {
        system: 'espocrm',
        hint:
          "Set the user's type to Administrator in EspoCRM. " +
          'API users can never be administrators, so use a user that signs in with a password.',
      });
    }
    return session;
  }

  private signInRejected(response: RawResponse): EspoSsoError {
    const username = this.options.username;
    if (response.statusReason.toLowerCase() === 'second-step-required') {
      return new EspoSsoError(
        'second_factor_required',
        `EspoCRM user "${username}" has two-factor authentication, which espo-sso cannot complete.`,
        {
          system: 'espocrm',
          status: 401,
          hint: 'Use a dedicated admin user without two-factor authentication for espo-sso.',
        },
      );
    }
    return new EspoSsoError('unauthorized', `EspoCRM rejected the password of user "${username}" (401).`, {
      system: 'espocrm',
      status: 401,
      hint:
        'Check the password. espo-sso does not retry, because each failed sign-in counts ' +
        "toward EspoCRM's lock-out of this address. " +
        'If EspoCRM already uses OIDC login, password sign-in also needs oidcFallback enabled.',
    });
  }

  /** Revokes the token and logs a failure instead of throwing it. */
  private async revokeTokenQuietly(session: Session): Promise<void> {
    try {
      await this.revokeToken(session);
    } catch (error) {
      const espoError = error instanceof EspoSsoError ? error : undefined;
      // A token that is not revoked ends on its own after EspoCRM's idle timeout (48 hours by default).
      this.logger.warn(
        {
          system: 'espocrm',
          code: espoError?.code ?? 'internal',
          status: espoError?.status,
          error: espoError?.message ?? String(error),
          correlationId: this.options.correlationId,
        },
        'EspoCRM token revocation failed; the token expires after its idle timeout',
      );
    }
  }

  private async revokeToken(session: Session): Promise<void> {
    const call: Call = {
      method: 'POST',
      route: '/api/v1/App/destroyAuthToken',
      body: JSON.stringify({ token: session.token.reveal() }),
    };
    const response = await this.transport.send(call, await this.tokenHeaders(session));
    assertOk(call, response);
  }
}

/**
 * Serializes a settings body for the wire, adding the client secret when one is set.
 * The result contains the secret in clear text, so it goes to the request and nowhere else.
 */
export function serializeSettingsBody(body: SettingsBody): string {
  const payload: Record<string, unknown> = { ...body.fields };
  if (body.clientSecret !== undefined) payload.oidcClientSecret = body.clientSecret.reveal();
  return JSON.stringify(payload);
}

/** Maps a 400 from a settings write, whose JSON body names the field and the failed rule. */
function settingsRejected(call: Call, response: RawResponse): EspoSsoError {
  const parsed = validationFailureSchema.safeParse(parseJson(response.body));
  if (!parsed.success) return statusError(call, response);

  const { field, type } = parsed.data.messageTranslation.data;
  return new EspoSsoError(
    'upstream_rejected',
    `EspoCRM rejected the settings write: field ${field} failed the "${type}" check. Nothing was stored.`,
    { system: 'espocrm', status: 400, hint: hintForRejectedField(field, type) },
  );
}

function hintForRejectedField(field: string, rule: string): string {
  if (rule === 'valid' && field.endsWith('Endpoint')) {
    return (
      `Correct ${field}: EspoCRM accepts a URL only if it matches its URL pattern, ` +
      'which needs a dot in the host (a host name with a domain, or an IPv4 address).'
    );
  }
  if (rule === 'maxLength') return `Shorten ${field} to at most 255 characters.`;
  return `Correct ${field} so that it passes EspoCRM's "${rule}" check.`;
}

/** Encodes an `Espo-Authorization` value: base64 of `user:password` or `user:token`. */
function encodeCredentials(username: string, secret: string): string {
  return Buffer.from(`${username}:${secret}`, 'utf8').toString('base64');
}
