import { EspoSsoError } from '../../src/errors';
import {
  checkSupportedVersion,
  compareVersions,
  featuresOf,
  isAtLeast,
  MIN_SUPPORTED_VERSION,
  parseVersion,
} from '../../src/authentik/version';
import { type AuthentikVersion } from '../../src/authentik/types';

function version(text: string): AuthentikVersion {
  const parsed = parseVersion(text);
  if (!parsed) throw new Error(`test version "${text}" does not parse`);
  return parsed;
}

describe('parseVersion', () => {
  test.each([
    ['2026.8.3', { major: 2026, minor: 8, patch: 3 }],
    ['2024.10.3', { major: 2024, minor: 10, patch: 3 }],
    ['2025.10', { major: 2025, minor: 10, patch: 0 }],
    ['2025.10.0-rc1', { major: 2025, minor: 10, patch: 0 }],
    [' 2026.8.3\n', { major: 2026, minor: 8, patch: 3 }],
  ])('parses %j', (text, expected) => {
    expect(parseVersion(text)).toMatchObject(expected);
  });

  test('keeps the raw text', () => {
    expect(parseVersion('2026.8.3')?.raw).toBe('2026.8.3');
  });

  test.each(['', 'latest', '2026', 'v2026.8.3', '2026.x.1'])('rejects %j', (text) => {
    expect(parseVersion(text)).toBeUndefined();
  });
});

describe('compareVersions', () => {
  test('orders by major, minor, patch', () => {
    expect(compareVersions(version('2024.10.3'), version('2024.10.2'))).toBeGreaterThan(0);
    expect(compareVersions(version('2024.8.5'), version('2024.10.0'))).toBeLessThan(0);
    expect(compareVersions(version('2025.1.0'), version('2024.12.9'))).toBeGreaterThan(0);
    expect(compareVersions(version('2026.8'), version('2026.8.0'))).toBe(0);
  });

  test('compares minor numbers numerically', () => {
    expect(isAtLeast(version('2025.10.2'), '2025.2')).toBe(true);
    expect(isAtLeast(version('2025.2.0'), '2025.10')).toBe(false);
  });
});

describe('featuresOf', () => {
  test.each([
    ['2024.10.3', false, false],
    ['2025.10.2', false, false],
    ['2025.12.0', false, true],
    ['2026.4.9', false, true],
    ['2026.5.0', true, true],
    ['2026.8.3', true, true],
  ])('%s: grantTypes %s, keyTypeField %s', (text, grantTypes, keyTypeField) => {
    expect(featuresOf(version(text))).toEqual({ grantTypes, keyTypeField });
  });
});

describe('checkSupportedVersion', () => {
  test.each(['2024.10.3', '2025.2.1', '2025.10.2', '2026.8.0', '2026.8.3', '2026.8.17'])('accepts %s', (text) => {
    expect(checkSupportedVersion(version(text))).toBeUndefined();
  });

  test.each(['2024.10.2', '2024.10.0', '2024.8.5', '2023.10.7'])('rejects %s', (text) => {
    const result = checkSupportedVersion(version(text));
    expect(result).toBeInstanceOf(EspoSsoError);
    const error = result as EspoSsoError;
    expect(error.code).toBe('unsupported_version');
    expect(error.system).toBe('authentik');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(text);
    expect(error.message).toContain(MIN_SUPPORTED_VERSION);
  });

  test.each(['2026.9.0', '2026.10.1', '2027.2.0'])('warns for newer %s', (text) => {
    const result = checkSupportedVersion(version(text));
    expect(typeof result).toBe('string');
    expect(result).toContain(text);
    expect(result).toContain('2026.8');
  });
});
