import { randomUUID } from 'node:crypto';

import { type System } from '../errors';

/** One finished upstream call, reported for metrics. Carries no URL query, header or body. */
export interface UpstreamCall {
  system: System;
  /** HTTP method. */
  method: string;
  /** A route template without ids, e.g. `/providers/oauth2/{pk}/`. */
  route: string;
  /** HTTP status, or 0 when no answer came (timeout, reset). */
  status: number;
  durationMs: number;
}

/** Receives every upstream call; the metrics module implements it. */
export type UpstreamObserver = (call: UpstreamCall) => void;

export const noopObserver: UpstreamObserver = () => undefined;

/** Header that carries the correlation id on every upstream request. */
export const CORRELATION_HEADER = 'X-Correlation-Id';

/** Creates a correlation id for a run that did not get one from its caller. */
export function newCorrelationId(): string {
  return randomUUID();
}
