import { Writable } from 'node:stream';

import { createLogger } from '../../src/logging/logger';
import { repeatLimitedWarn } from '../../src/runtime/repeat-limit';

function captureLogger(): { lines: () => Array<{ msg: string; skipped: number; err: { message: string } }>; logger: ReturnType<typeof createLogger> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ level: 'warn', destination });
  return { logger, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

describe('repeatLimitedWarn', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('logs once per interval with skipped count', () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const { logger, lines } = captureLogger();
    const onError = repeatLimitedWarn(logger, 'Redis connection error', 30_000);

    onError(new Error('connect ECONNREFUSED'));
    now += 1000;
    onError(new Error('connect ECONNREFUSED'));
    now += 1000;
    onError(new Error('connect ECONNREFUSED'));
    now += 30_000;
    onError(new Error('connect ETIMEDOUT'));
    logger.flush();

    const written = lines();
    expect(written).toHaveLength(2);
    expect(written[0]).toMatchObject({ msg: 'Redis connection error', skipped: 0, err: { message: 'connect ECONNREFUSED' } });
    expect(written[1]).toMatchObject({ msg: 'Redis connection error', skipped: 2, err: { message: 'connect ETIMEDOUT' } });
  });
});
