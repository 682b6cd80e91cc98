import { type IncomingMessage, type ServerResponse } from 'node:http';

import { type Metrics } from '../metrics/metrics';

/** A GET route served next to Slack's endpoint: health, readiness and metrics. */
export interface HttpRoute {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * GET /healthz (the process is alive), GET /readyz (Redis answers and, where the role has one,
 * the worker runs; 503 otherwise) and GET /metrics (Prometheus text).
 */
export function operationalRoutes(ready: () => Promise<{ ok: boolean; checks: Record<string, boolean> }>, metrics: Metrics): HttpRoute[] {
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
