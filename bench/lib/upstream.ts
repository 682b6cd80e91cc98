import { type RecordedRequest } from '../../sandbox/common/fake-server';

/**
 * Reads the fakes' request logs. Each fake records a request when its body has arrived and
 * before the added latency, so `at` is the request's start to the millisecond.
 */

/** A request tagged with the system that received it. */
export interface TaggedRequest {
  system: string;
  method: string;
  path: string;
  at: number;
}

/** Returns the requests of `requests` that started in [from, to], tagged with `system`. */
export function requestsBetween(system: string, requests: readonly RecordedRequest[], from: number, to: number): TaggedRequest[] {
  return requests
    .filter((request) => request.at >= from && request.at <= to)
    .map((request) => ({ system, method: request.method, path: request.path, at: request.at }));
}

/** Requests that started together: within `windowMs` of the round's first request. */
export interface Round {
  /** Milliseconds from `origin` to the round's first request. */
  startMs: number;
  requests: string[];
}

/**
 * Groups requests into sequential rounds. A request joins the current round when it starts
 * within `windowMs` of that round's first request, else it opens a new one. With a fixed added
 * latency L and windowMs = L/2, a request that had to wait for a response always opens a round.
 */
export function groupRounds(requests: readonly TaggedRequest[], windowMs: number, origin: number): Round[] {
  const sorted = [...requests].sort((a, b) => a.at - b.at);
  const rounds: Round[] = [];
  let first = Number.NEGATIVE_INFINITY;
  for (const request of sorted) {
    const label = `${request.system} ${request.method} ${shortenPath(request.path)}`;
    const current = rounds.at(-1);
    if (current && request.at - first <= windowMs) {
      current.requests.push(label);
    } else {
      first = request.at;
      rounds.push({ startMs: request.at - origin, requests: [label] });
    }
  }
  return rounds;
}

/** Replaces ids and slugs in a path so that equal calls read alike, e.g. `/api/v3/providers/oauth2/{pk}/`. */
export function shortenPath(path: string): string {
  return path
    .replace(/\/\d+\//g, '/{pk}/')
    .replace(/\/application\/o\/[^/]+\//, '/application/o/{slug}/')
    .replace(/\/core\/applications\/[^/]+\//, '/core/applications/{slug}/');
}

/** Returns the maximum number of requests that started in any window [t, t + windowMs). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
