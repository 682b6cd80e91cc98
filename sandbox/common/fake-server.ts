import http from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';

/**
 * The ground floor shared by the fake authentik, EspoCRM and Slack servers: a loopback HTTP
 * server with a request log, a fixed added latency and per-route fault injection.
 * The fakes are product code (the offline demo runs them) and import nothing from `src/`.
 */

/** One request as the fake received it. Bodies are kept so tests can assert on exact payloads. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Raw body text ('' when there was none). */
  rawBody: string;
  /** Status code the fake answered with, or 0 when the connection was reset or left hanging. */
  status: number;
  at: number;
}

/** What a route handler returns. */
export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
}

/** The request as a route handler sees it. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Captures of the route pattern's named groups. */
  params: Record<string, string>;
  /** Address of the caller, for per-address rules such as sign-in lock-outs. */
  remoteAddress: string;
}

export type RouteHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: RouteHandler;
}

/**
 * One injected answer: an HTTP status (500, 502, 503, 429...), `timeout` (the request is left
 * without an answer until the client gives up), `reset` (the socket is destroyed) or `ok`
 * (the real handler runs). `delayMs` runs the real handler after a pause. `respondAfterMs` runs
 * the real handler at once and delays its response, like a server that did the work but responds
 * after the client's timeout.
 */
export type FaultAction = number | 'timeout' | 'reset' | 'ok' | { delayMs: number } | { respondAfterMs: number };

/** A fault rule: which requests it matches and what they get. */
export interface FaultRule {
  /** HTTP method, or undefined for any. */
  method?: string;
  /** A path prefix, or a regular expression tested against the path. */
  path: string | RegExp;
  /** Answers used in order, one per matching request; when used up the rule stops matching. */
  sequence?: FaultAction[];
  /** Alternatively, a probability (0..1) of answering with `action` on each matching request. */
  rate?: number;
  action?: FaultAction;
  /** Random source for `rate`; defaults to Math.random. */
  random?: () => number;
  /**
   * A further condition on the request, e.g. on its body to fault only the one `chat.postMessage`
   * that carries a result. A rule whose `when` returns false is skipped and keeps its sequence.
   */
  when?: (request: FaultRequest) => boolean;
}

/** The parts of a request that a fault rule's `when` condition receives. */
export type FaultRequest = Pick<RecordedRequest, 'method' | 'path' | 'query' | 'headers' | 'rawBody'>;

export interface FakeServerOptions {
  /** Name used in error messages, e.g. "fake authentik". */
  name: string;
  /** Added to every answer, in milliseconds, to model a remote server's round trip. */
  latencyMs?: number;
}

/** A small routing HTTP server with a request log, latency and fault injection. */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  latencyMs: number;
  private readonly routes: Route[] = [];
  private faultRules: FaultRule[] = [];
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private baseUrl = '';

  constructor(private readonly options: FakeServerOptions) {
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** Registers a handler. `pattern` is a path with `:name` segments, e.g. `/api/v3/core/applications/:slug/`. */
  route(method: string, pattern: string, handler: RouteHandler): this {
    const source = pattern
      .split('/')
      .map((segment) => (segment.startsWith(':') ? `(?<${segment.slice(1)}>[^/]+)` : escapeRegExp(segment)))
      .join('/');
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), handler });
    return this;
  }

  /** Adds a fault rule; rules are checked in the order they were added. */
  injectFault(rule: FaultRule): this {
    this.faultRules.push({ ...rule, sequence: rule.sequence ? [...rule.sequence] : undefined });
    return this;
  }

  clearFaults(): this {
    this.faultRules = [];
    return this;
  }

  /** Starts listening on 127.0.0.1; port 0 picks a free port. Returns the base URL. */
  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    server.keepAliveTimeout = 5000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${address.port}`;
    return this.baseUrl;
  }

  get url(): string {
    if (!this.baseUrl) throw new Error(`${this.options.name} is not started`);
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests whose method and path match, e.g. `requestsTo('POST', /^\/api\/v3\/providers\/oauth2\/$/)`. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (request) => request.method === method.toUpperCase() && matchesPath(path, request.path),
    );
  }

  /** Adds a rule that applies `action` to every matching request, e.g. 503 for an outage that lasts until `clearFaults()`. */
  failAlways(rule: Omit<FaultRule, 'sequence' | 'rate' | 'action'>, action: FaultAction): this {
    return this.injectFault({ ...rule, rate: 1, action });
  }

  /** Adds a rule that delays every matching request by `delayMs` before the real handler runs. */
  slowDown(rule: Omit<FaultRule, 'sequence' | 'rate' | 'action'>, delayMs: number): this {
    return this.injectFault({ ...rule, rate: 1, action: { delayMs } });
  }

  private nextFault(request: FaultRequest): FaultAction | undefined {
    const { method, path } = request;
    for (const rule of this.faultRules) {
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (!matchesPath(rule.path, path)) continue;
      if (rule.when && !rule.when(request)) continue;
      if (rule.sequence) {
        if (rule.sequence.length === 0) continue;
        return rule.sequence.shift();
      }
      if (rule.rate !== undefined && rule.action !== undefined) {
        const random = rule.random ?? Math.random;
        if (random() < rule.rate) return rule.action;
      }
    }
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(record);

    if (this.latencyMs > 0) await sleep(this.latencyMs);

    const fault = this.nextFault(record);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'timeout') {
      // Leave the request open; the client's own timeout ends it, or stop() destroys the socket.
      return;
    }
    if (typeof fault === 'number') {
      record.status = fault;
      send(res, { status: fault, body: { detail: `injected fault ${fault}` } });
      return;
    }
    if (typeof fault === 'object' && 'delayMs' in fault) await sleep(fault.delayMs);

    let response: FakeResponse;
    try {
      response = await this.dispatch(method, url, req, rawBody);
    } catch (error) {
      response = { status: 500, body: { detail: `${this.options.name} failed: ${String(error)}` } };
    }
    record.status = response.status;
    if (typeof fault === 'object' && 'respondAfterMs' in fault) await sleep(fault.respondAfterMs);
    send(res, response);
  }

  private async dispatch(
    method: string,
    url: URL,
    req: http.IncomingMessage,
    rawBody: string,
  ): Promise<FakeResponse> {
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      return route.handler({
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        params: { ...(match.groups ?? {}) },
        remoteAddress: req.socket.remoteAddress ?? '',
      });
    }
    if (pathMatched) return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
    return { status: 404, body: { detail: 'Not found.' } };
  }
}

function matchesPath(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? path.startsWith(pattern) : pattern.test(path);
}

function send(res: http.ServerResponse, response: FakeResponse): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  let payload = '';
  if (response.body !== undefined) {
    if (typeof response.body === 'string') {
      payload = response.body;
    } else {
      payload = JSON.stringify(response.body);
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
    }
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Parses a JSON body, returning undefined for an empty or invalid one. */
export function parseJson(rawBody: string): unknown {
  if (rawBody.trim() === '') return undefined;
  try {
    return JSON.parse(rawBody) as unknown;
  } catch {
    return undefined;
  }
}
