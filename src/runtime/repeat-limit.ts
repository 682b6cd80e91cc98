import { type Logger } from '../logging/logger';

/**
 * Creates an error listener that logs at warn level at most once per `intervalMs`, with the
 * number of errors skipped since the last line. ioredis and BullMQ emit an error on every
 * reconnect attempt while Redis is down, and the reconnect backoff (createRedisConnection) is
 * 0.2 to 2 seconds, so without a limit the log would get a line that often.
 */
export function repeatLimitedWarn(logger: Logger, message: string, intervalMs = 30_000): (error: Error) => void {
  let lastLoggedAt = 0;
  let skipped = 0;
  return (error) => {
    const now = Date.now();
    if (now - lastLoggedAt < intervalMs) {
      skipped += 1;
      return;
    }
    logger.warn({ err: { message: error.message }, skipped }, message);
    lastLoggedAt = now;
    skipped = 0;
  };
}
