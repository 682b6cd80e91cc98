import { EspoSsoError } from '../errors';
import { type AuthentikVersion } from './types';

/**
 * authentik server versions the client supports, and the API features that depend on them.
 * Versions follow authentik's `YEAR.MONTH.PATCH` scheme and compare part by part.
 */

/**
 * Oldest supported version. From 2024.10.3 on, providers take `redirect_uris` as a list of
 * `{matching_mode, url}` and require `invalidation_flow`. 2024.10.0 to 2024.10.2 take a
 * newline-separated string, which the client does not send.
 */
export const MIN_SUPPORTED_VERSION = '2024.10.3';

/** Newest release line tested (2026.8.x). Later versions are used, with a warning. */
export const MAX_TESTED_RELEASE = '2026.8';

/** Request shapes and filters that depend on the server version. */
export interface VersionFeatures {
  /** Providers have `grant_types`, which must be sent on create (>= 2026.5). */
  grantTypes: boolean;
  /** Keypairs report `key_type`, and the list takes a `key_type` filter (>= 2025.12). */
  keyTypeField: boolean;
}

const VERSION_PATTERN = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+.][0-9A-Za-z.+-]*)?$/;

/**
 * Parses `version_current`, e.g. "2026.8.3" or "2025.10.0-rc1" (a pre-release counts as its
 * release). Returns undefined for text that is not a version.
 */
export function parseVersion(text: string): AuthentikVersion | undefined {
  const match = VERSION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return {
    raw: text.trim(),
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: match[3] === undefined ? 0 : Number(match[3]),
  };
}

/** Compares two versions: negative when `a` is older, 0 when equal, positive when newer. */
export function compareVersions(a: AuthentikVersion, b: AuthentikVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  return a.patch - b.patch;
}

/** Returns whether `version` is `minimum` or newer; `minimum` is a literal such as "2026.5". */
export function isAtLeast(version: AuthentikVersion, minimum: string): boolean {
  return compareVersions(version, requireVersion(minimum)) >= 0;
}

/** Returns the features of a server version. */
export function featuresOf(version: AuthentikVersion): VersionFeatures {
  return {
    grantTypes: isAtLeast(version, '2026.5'),
    keyTypeField: isAtLeast(version, '2025.12'),
  };
}

/**
 * Checks a server version against the supported range. Returns:
 * - an `unsupported_version` error for versions older than 2024.10.3, whose request shapes the
 *   client does not build;
 * - a warning for versions newer than the tested 2026.8 line, which the client still uses;
 * - undefined for a supported, tested version.
 */
export function checkSupportedVersion(version: AuthentikVersion): EspoSsoError | string | undefined {
  const minimum = requireVersion(MIN_SUPPORTED_VERSION);
  if (compareVersions(version, minimum) < 0) {
    return new EspoSsoError(
      'unsupported_version',
      `authentik ${version.raw} is not supported: the minimum version is ${MIN_SUPPORTED_VERSION}.`,
      {
        system: 'authentik',
        hint: `Upgrade authentik to ${MIN_SUPPORTED_VERSION} or later.`,
      },
    );
  }

  const newestTested = requireVersion(MAX_TESTED_RELEASE);
  const isNewerLine =
    version.major > newestTested.major ||
    (version.major === newestTested.major && version.minor > newestTested.minor);
  if (isNewerLine) {
    return (
      `authentik ${version.raw} is newer than the newest tested release line (${MAX_TESTED_RELEASE}.x); ` +
      'the client uses the request shapes of that line.'
    );
  }
  return undefined;
}

function requireVersion(text: string): AuthentikVersion {
  const version = parseVersion(text);
  if (!version) throw new Error(`invalid version literal "${text}"`);
  return version;
}
