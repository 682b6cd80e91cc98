import { EspoSsoError } from '../../src/errors';
import {
  assertOidcSupported,
  compareEspoVersions,
  isVersionAtLeast,
  MIN_OIDC_VERSION,
  parseEspoVersion,
} from '../../src/espocrm';

describe('parseEspoVersion', () => {
  it('parses major.minor.patch', () => {
    expect(parseEspoVersion('8.4.2')).toEqual({ raw: '8.4.2', major: 8, minor: 4, patch: 2 });
  });

  it('reads a missing patch as 0 and ignores a suffix', () => {
    expect(parseEspoVersion('9.1')).toMatchObject({ major: 9, minor: 1, patch: 0 });
    expect(parseEspoVersion('10.0.0-beta1')).toMatchObject({ major: 10, minor: 0, patch: 0 });
  });

  it.each(['', 'abc', '8', '8.x.1', 'v8.4.2'])('rejects %j as invalid_response', (raw) => {
    expect(() => parseEspoVersion(raw)).toThrow(expect.objectContaining({ code: 'invalid_response' }));
  });
});

describe('compareEspoVersions', () => {
  it.each([
    ['8.4.2', '8.4.2', 0],
    ['8.4.2', '9.1.0', -1],
    ['10.0.0', '9.1.0', 1],
    ['9.10.0', '9.9.0', 1],
    ['9.1.1', '9.1.0', 1],
  ])('compares %s with %s', (a, b, sign) => {
    expect(Math.sign(compareEspoVersions(a, b))).toBe(sign);
  });

  it('treats the minimum as supported', () => {
    expect(isVersionAtLeast(MIN_OIDC_VERSION, '7.3.0')).toBe(true);
    expect(isVersionAtLeast('7.2.9', '7.3.0')).toBe(false);
  });
});

describe('assertOidcSupported', () => {
  it('accepts 7.3.0 and later', () => {
    expect(assertOidcSupported('7.3.0').major).toBe(7);
    expect(assertOidcSupported('10.0.0').major).toBe(10);
  });

  it('rejects 7.2.5 naming found and minimum', () => {
    let caught: unknown;
    try {
      assertOidcSupported('7.2.5');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EspoSsoError);
    const error = caught as EspoSsoError;
    expect(error.code).toBe('unsupported_version');
    expect(error.system).toBe('espocrm');
    expect(error.message).toContain('7.2.5');
    expect(error.message).toContain('7.3.0');
  });
});
