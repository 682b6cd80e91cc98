import { Writable } from 'node:stream';

import { Secret } from '../../src/config/secret';
import { createLogger, registerSecretValue } from '../../src/logging/logger';

function captureLogger(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('createLogger', () => {
  test('redacts secret field names', () => {
    const { lines, logger } = captureLogger();
    logger.info({ password: 'p-1', nested: { client_secret: 'c-1', headers: { authorization: 'Bearer t-1' } } }, 'x');
    const line = lines.join('');
    expect(line).not.toContain('p-1');
    expect(line).not.toContain('c-1');
    expect(line).not.toContain('t-1');
    expect(JSON.parse(line)).toMatchObject({ password: '[redacted]', nested: { client_secret: '[redacted]' } });
  });

  test('redacts registered values anywhere', () => {
    const { lines, logger } = captureLogger();
    const value = 'registered-secret-value-0042';
    registerSecretValue(value);
    logger.warn({ detail: `the server echoed ${value}` }, `message with ${value}`);
    logger.warn({ encoded: Buffer.from(value).toString('base64') }, 'encoded form');
    const text = lines.join('');
    expect(text).not.toContain(value);
    expect(text).not.toContain(Buffer.from(value).toString('base64'));
    expect(text.match(/\[redacted\]/g)).toHaveLength(3);
  });

  test('Secret objects log as redacted', () => {
    const { lines, logger } = captureLogger();
    logger.info({ value: new Secret('object-secret-999') }, 'secret object');
    expect(lines.join('')).not.toContain('object-secret-999');
  });
});
