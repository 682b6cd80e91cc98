/**
 * Bounds the calls that start in any one-second window to `perSecond`, shared by every caller
 * holding the same instance. Starts are spaced 1000/perSecond ms apart, and the times of the
 * starts in the last second are counted as well: a timer that fires late would otherwise release
 * several waiting callers back to back. `perSecond` 0 disables the bound.
 */
/**
 * The counting window is 10% longer than a second, so that the starts a server sees, after
 * varying network and scheduling delays, still fit the bound. The sustained rate is therefore
 * about 0.9 × `perSecond`. A 1,020 ms window still let a benchmark server count 61 requests in
 * one second at a limit of 60 while its own event loop was busy.
 */
const WINDOW_MS = 1100;

export class RateLimiter {
  private nextSlot = 0;
  private readonly starts: number[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the caller may start its call. */
  async acquire(): Promise<void> {
    if (this.perSecond <= 0) return;
    const interval = 1000 / this.perSecond;
    const slot = Math.max(this.now(), this.nextSlot);
    this.nextSlot = slot + interval;
    await this.sleep(slot - this.now());

    // Checking and recording happen without an await between them, so two callers cannot both
    // take the last place in the window.
    for (;;) {
      const now = this.now();
      while (this.starts.length > 0 && (this.starts[0] as number) <= now - WINDOW_MS) this.starts.shift();
      if (this.starts.length < this.perSecond) {
        this.starts.push(now);
        return;
      }
      await this.sleep((this.starts[0] as number) + WINDOW_MS - now + 1);
    }
  }

  private sleep(ms: number): Promise<void> {
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }
}
