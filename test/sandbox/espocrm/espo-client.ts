import { type FakeEspoCrm } from '../../../sandbox/espocrm';

/** A minimal HTTP client for the fake EspoCRM tests, built on Node's fetch. */

export interface EspoCall {
  /** Sends `Espo-Authorization: base64(user:secret)`, where the secret is a password or token. */
  auth?: [string, string];
  /** Adds `Espo-Authorization-By-Token: true`. */
  byToken?: boolean;
  /** Sends `Authorization: Basic base64(user:secret)` instead of Espo-Authorization. */
  basic?: [string, string];
  headers?: Record<string, string>;
  /** A JSON body, sent with `Content-Type: application/json` unless `contentType` is set. */
  json?: unknown;
  /** A raw body, sent as is. */
  rawBody?: string;
  /** Overrides the content type; null sends none. */
  contentType?: string | null;
}

export interface EspoResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON. */
  body: unknown;
}

export function encodePair(user: string, secret: string): string {
  return Buffer.from(`${user}:${secret}`).toString('base64');
}

export async function call(
  fake: FakeEspoCrm,
  method: string,
  path: string,
  options: EspoCall = {},
): Promise<EspoResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.auth) headers['Espo-Authorization'] = encodePair(...options.auth);
  if (options.byToken) headers['Espo-Authorization-By-Token'] = 'true';
  if (options.basic) headers.Authorization = `Basic ${encodePair(...options.basic)}`;

  let body: string | undefined;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  if (options.rawBody !== undefined) body = options.rawBody;
  const defaultContentType = body === undefined ? null : 'application/json';
  const contentType = options.contentType === undefined ? defaultContentType : options.contentType;
  if (contentType !== null) headers['Content-Type'] = contentType;

  const response = await fetch(`${fake.url}/api/v1${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: parseJsonOrUndefined(text) };
}

function parseJsonOrUndefined(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Signs in with a password and returns the new token. Throws on any status other than 200. */
export async function signIn(fake: FakeEspoCrm, userName: string, password: string): Promise<string> {
  const response = await call(fake, 'GET', '/App/user', { auth: [userName, password] });
  if (response.status !== 200) throw new Error(`sign-in of ${userName} failed with ${response.status}`);
  const token = (response.body as { token: unknown }).token;
  if (typeof token !== 'string') throw new Error(`sign-in of ${userName} returned no token`);
  return token;
}

/** Options for a token call as a well-behaved client makes it: token plus By-Token. */
export function withToken(userName: string, token: string): Pick<EspoCall, 'auth' | 'byToken'> {
  return { auth: [userName, token], byToken: true };
}

/** A mutable clock for lock-out and token-expiry tests. */
export class TestClock {
  constructor(public time = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}
