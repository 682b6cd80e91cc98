import http from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';

import pino, { type Logger } from 'pino';

import { Secret } from '../../src/config/secret';
import { type OidcSettingsWrite } from '../../src/espocrm/types';

/** One request as the stub received it. */
export interface StubRequest {
  method: string;
  /** Path with the query string. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The stub's response: `hang` leaves the request open, `reset` destroys the socket. */
export type StubReply =
  | { status: number; headers?: Record<string, string>; body?: string | object }
  | 'hang'
  | 'reset';

export type StubHandler = (request: StubRequest) => StubReply;

/** A loopback HTTP server that responds with `handler` and records every request. */
export class StubServer {
  readonly requests: StubRequest[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  url = '';

  constructor(private handler: StubHandler) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: StubRequest = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(request);
        const reply = this.handler(request);
        if (reply === 'hang') return;
        if (reply === 'reset') {
          req.socket.destroy();
          return;
        }
        const isText = typeof reply.body === 'string' || reply.body === undefined;
        let payload = '';
        if (typeof reply.body === 'string') payload = reply.body;
        else if (reply.body !== undefined) payload = JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          'Content-Type': isText ? 'text/html' : 'application/json',
          ...(reply.headers ?? {}),
        });
        res.end(payload);
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  setHandler(handler: StubHandler): void {
    this.handler = handler;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Requests whose path (without query) equals `path`. */
  requestsTo(method: string, path: string): StubRequest[] {
    return this.requests.filter((request) => request.method === method && request.url.split('?')[0] === path);
  }
}

/**
 * Creates a plain pino logger at debug level whose lines end up in `lines`. It has none of the product
 * logger's redaction, so a secret that the client logs shows up in `lines`.
 */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, destination), lines };
}

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Returns a complete, valid OIDC write for authentik at `https://auth.example.com`. */
export function validSettings(overrides: Partial<OidcSettingsWrite> = {}): OidcSettingsWrite {
  return {
    authenticationMethod: 'Oidc',
    oidcClientId: 'espocrm-client-id',
    oidcClientSecret: new Secret('client-secret-value-0123456789'),
    oidcAuthorizationEndpoint: 'https://auth.example.com/application/o/authorize/',
    oidcTokenEndpoint: 'https://auth.example.com/application/o/token/',
    oidcJwksEndpoint: 'https://auth.example.com/application/o/espocrm/jwks/',
    oidcUserInfoEndpoint: 'https://auth.example.com/application/o/userinfo/',
    oidcJwtSignatureAlgorithmList: ['RS256'],
    oidcScopes: ['profile', 'email'],
    oidcUsernameClaim: 'sub',
    oidcLogoutUrl: 'https://auth.example.com/application/o/espocrm/end-session/',
    oidcFallback: true,
    oidcAllowAdminUser: false,
    oidcAllowRegularUserFallback: false,
    oidcCreateUser: true,
    oidcSync: false,
    oidcSyncTeams: false,
    oidcGroupClaim: 'groups',
    oidcTeamsIds: ['team-sales'],
    oidcTeamsNames: { 'team-sales': 'Sales' },
    oidcTeamsColumns: { 'team-sales': { group: 'crm-sales' } },
    ...overrides,
  };
}
