import { EspoSsoError } from '../errors';

/** An EspoCRM version as `GET /api/v1/Settings` reports it in `version`. */
export interface EspoVersion {
  /** The string as reported, e.g. "8.4.2". */
  raw: string;
  major: number;
  minor: number;
  patch: number;
}

/** EspoCRM added OIDC login in 7.3.0; older versions have none of the OIDC settings. */
export const MIN_OIDC_VERSION = '7.3.0';

const VERSION_PATTERN = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]*)?$/;

/**
 * Parses "8.4.2" (a missing patch reads as 0, and a suffix such as "-beta1" is ignored).
 * Throws `invalid_response` for anything else, because the version always comes from the server.
 */
export function parseEspoVersion(raw: string): EspoVersion {
  const match = VERSION_PATTERN.exec(raw.trim());
  if (!match) {
    throw new EspoSsoError(
      'invalid_response',
      `EspoCRM reported the version "${raw}", which is not of the form major.minor.patch (e.g. 8.4.2).`,
      { system: 'espocrm' },
    );
  }
  return {
    raw,
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? '0'),
  };
}

/** Compares two versions: negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareEspoVersions(a: string | EspoVersion, b: string | EspoVersion): number {
  const left = typeof a === 'string' ? parseEspoVersion(a) : a;
  const right = typeof b === 'string' ? parseEspoVersion(b) : b;
  return left.major - right.major || left.minor - right.minor || left.patch - right.patch;
}

/** Returns whether `version` is `minimum` or newer. */
export function isVersionAtLeast(version: string | EspoVersion, minimum: string | EspoVersion): boolean {
  return compareEspoVersions(version, minimum) >= 0;
}

/** Parses `version` and throws `unsupported_version` when it is older than 7.3.0, which has no OIDC login. */
export function assertOidcSupported(version: string): EspoVersion {
  const parsed = parseEspoVersion(version);
  if (!isVersionAtLeast(parsed, MIN_OIDC_VERSION)) {
    throw new EspoSsoError(
      'unsupported_version',
      `EspoCRM ${version} has no OIDC login; the minimum version is ${MIN_OIDC_VERSION}.`,
      { system: 'espocrm', hint: `Upgrade EspoCRM to ${MIN_OIDC_VERSION} or later.` },
    );
  }
  return parsed;
}
