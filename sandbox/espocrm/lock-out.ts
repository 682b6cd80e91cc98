/**
 * EspoCRM's sign-in lock-out per caller address, from its FailedAttemptsLimit hook. Before a
 * sign-in, the server counts the denied sign-ins from the same address in the last 60 seconds.
 * When there are more than 10, it responds with 403 without trying the credentials. That
 * request is not logged as denied, so the lock-out ends once the oldest failures age out.
 */

/** EspoCRM's defaults (config authMaxFailedAttemptNumber and authFailedAttemptsPeriod). */
export const MAX_FAILED_ATTEMPTS = 10;
export const FAILED_ATTEMPTS_PERIOD_MS = 60_000;

/** The lock-out state of one caller address at the time it was read. */
export interface LockOutState {
  address: string;
  /** Denied sign-ins within the last period. */
  deniedAttempts: number;
  lockedOut: boolean;
  /** Time (clock milliseconds) when sign-ins are tried again, or null when not locked out. */
  lockedUntil: number | null;
}

/** Denied sign-in times per caller address, judged against an injectable clock. */
export class FailedSignInTracker {
  private readonly deniedAt = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly maxFailedAttempts = MAX_FAILED_ATTEMPTS,
    private readonly periodMs = FAILED_ATTEMPTS_PERIOD_MS,
  ) {}

  recordDenied(address: string): void {
    const times = this.recentDenials(address);
    times.push(this.now());
    this.deniedAt.set(address, times);
  }

  isLockedOut(address: string): boolean {
    return this.recentDenials(address).length > this.maxFailedAttempts;
  }

  /** Returns the state of every address with a denied sign-in in the last period. */
  snapshot(): LockOutState[] {
    const states: LockOutState[] = [];
    for (const address of this.deniedAt.keys()) {
      const times = this.recentDenials(address);
      if (times.length === 0) continue;
      const lockedOut = times.length > this.maxFailedAttempts;
      // Sign-ins are tried again when no more than maxFailedAttempts denials remain in the period.
      const lockedUntil = lockedOut ? times[times.length - this.maxFailedAttempts - 1] + this.periodMs : null;
      states.push({ address, deniedAttempts: times.length, lockedOut, lockedUntil });
    }
    return states;
  }

  clear(): void {
    this.deniedAt.clear();
  }

  private recentDenials(address: string): number[] {
    const oldestCounted = this.now() - this.periodMs;
    return (this.deniedAt.get(address) ?? []).filter((time) => time > oldestCounted);
  }
}
