import { RateLimiter } from '../../src/http/rate-limiter';

/** The largest number of times that fall in any window of `windowMs` milliseconds. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start += 1;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Blocks the event loop, as a busy process delays timers.
  }
}

describe('RateLimiter', () => {
  test('zero means no bound', async () => {
    const limiter = new RateLimiter(0);
    const started = Date.now();
    await Promise.all(Array.from({ length: 100 }, () => limiter.acquire()));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('late timers do not exceed the limit', async () => {
    const limiter = new RateLimiter(20);
    const starts: number[] = [];
    const calls = Array.from({ length: 45 }, () => limiter.acquire().then(() => starts.push(Date.now())));
    // Delay every pending timer by 300 ms, as a loaded process does; the old spacing-only limiter
    // then released the callers whose slots had passed all at once.
    setTimeout(() => busyWait(300), 400);
    await Promise.all(calls);
    expect(starts).toHaveLength(45);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(20);
  });
});
