import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

import { type Metrics } from '../metrics/metrics';

/** A GET route served next to Slack's endpoint: health, readiness and metrics. */
export interface HttpRoute {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/** The readiness result: `ok` is true when every check passed. */
export interface Readiness {
  ok: boolean;
  checks: Record<string, boolean>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * Creates the routes GET /healthz (the process is alive), GET /readyz (200 when Redis replies and,
 * where the role has one, the worker runs, else 503) and GET /metrics (Prometheus text).
 */
export function operationalRoutes(ready: () => Promise<Readiness>, metrics: Metrics): HttpRoute[] {
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => send(res, 200, 'application/json', JSON.stringify({ status: 'ok' })),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        ready().then(
          (result) => send(res, result.ok ? 200 : 503, 'application/json', JSON.stringify({ status: result.ok ? 'ready' : 'not ready', checks: result.checks })),
          () => send(res, 503, 'application/json', JSON.stringify({ status: 'not ready' })),
        );
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
        metrics.render().then(
          (rendered) => send(res, 200, rendered.contentType, rendered.body),
          (error: unknown) => send(res, 500, 'text/plain', `metrics failed: ${String(error)}`),
        );
      },
    },
  ];
}

/**
 * Starts a plain HTTP server for `routes`, used where Bolt's HTTPReceiver does not run: the
 * worker-only role and Socket Mode. Unknown paths get 404, known paths with another method 405.
 * Resolves once the server listens; rejects when it cannot (e.g. EADDRINUSE).
 */
export async function startRouteServer(routes: HttpRoute[], listen: { port: number; host: string | undefined }): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((candidate) => candidate.path === path);
    if (!route) {
      send(res, 404, 'text/plain', 'not found');
      return;
    }
    if (!route.method.includes(req.method ?? '')) {
      res.setHeader('Allow', route.method.join(', '));
      send(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    route.handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: listen.port, host: listen.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
