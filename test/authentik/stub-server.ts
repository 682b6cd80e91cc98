import http from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';

import pino, { type Logger } from 'pino';

/**
 * A minimal HTTP server on 127.0.0.1 for unit tests of the authentik client. Each test sets the
 * responses per `METHOD /path`, and the server records every request it received.
 */

export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A stubbed response: JSON (`json`), raw text (`text`), or a misbehaviour: `stall` sends nothing,
 * `stallBody` sends the headers and part of the body, `reset` destroys the socket.
 */
export type StubResponse =
  | { status?: number; json: unknown }
  | { status?: number; text: string; contentType?: string }
  | { status?: number; empty: true }
  | { stall: true }
  | { stallBody: true }
  | { reset: true };

export type StubRoute = StubResponse | ((request: StubRequest) => StubResponse);

export class StubServer {
  readonly requests: StubRequest[] = [];
  private routes = new Map<string, StubRoute>();
  private readonly sockets = new Set<Socket>();
  private server: http.Server | undefined;
  private baseUrl = '';

  /** Sets the response for `METHOD /path` (path without query), e.g. `GET /api/v3/admin/version/`. */
  on(key: string, route: StubRoute): this {
    this.routes.set(key, route);
    return this;
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  get url(): string {
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests to one path, in order. */
  requestsTo(method: string, path: string): StubRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: StubRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.requests.push(request);

      const route = this.routes.get(`${request.method} ${request.path}`);
      const stubbed: StubResponse = route === undefined
        ? { status: 404, json: { detail: 'Not found.' } }
        : typeof route === 'function'
          ? route(request)
          : route;
      this.send(req, res, stubbed);
    });
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, stubbed: StubResponse): void {
    if ('stall' in stubbed) return;
    if ('reset' in stubbed) {
      req.socket.destroy();
      return;
    }
    if ('stallBody' in stubbed) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"version_current": ');
      return;
    }
    if ('empty' in stubbed) {
      res.writeHead(stubbed.status ?? 204);
      res.end();
      return;
    }
    const isJson = 'json' in stubbed;
    const payload = isJson ? JSON.stringify(stubbed.json) : stubbed.text;
    const contentType = isJson ? 'application/json' : (stubbed.contentType ?? 'text/html; charset=utf-8');
    res.writeHead(stubbed.status ?? 200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  }
}

/** Creates a pino logger at debug level that keeps every line, without the product's redaction. */
export function captureLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, destination), lines };
}

/** Builds one page of an authentik list response. */
export function page(results: unknown[], current: number, totalPages: number, count = results.length): unknown {
  return {
    pagination: {
      next: current < totalPages ? current + 1 : 0,
      previous: current > 1 ? current - 1 : 0,
      count,
      current,
      total_pages: totalPages,
      start_index: results.length === 0 ? 0 : (current - 1) * 100 + 1,
      end_index: (current - 1) * 100 + results.length,
    },
    results,
    autocomplete: {},
  };
}
