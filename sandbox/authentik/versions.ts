/**
 * The authentik server versions the fake can imitate, and the API differences between them that
 * a provisioning client must handle.
 */

/** Version modes: each stands for one real release line. */
export type AuthentikVersion = '2024.10.3' | '2025.10' | '2026.8';

export const AUTHENTIK_VERSIONS: readonly AuthentikVersion[] = ['2024.10.3', '2025.10', '2026.8'];

/** `version_current` that `GET /admin/version/` returns in each mode. */
export const VERSION_CURRENT: Record<AuthentikVersion, string> = {
  '2024.10.3': '2024.10.3',
  '2025.10': '2025.10.2',
  '2026.8': '2026.8.3',
};

/** API features that differ between the modes. */
export interface VersionFeatures {
  /** OAuth2 providers have `grant_types` (authentik >= 2026.5). */
  grantTypes: boolean;
  /** Redirect URI entries may carry `redirect_uri_type` (authentik >= 2026.5). */
  redirectUriType: boolean;
  /**
   * Keypairs expose `key_type` and the list accepts a `key_type` filter (authentik >= 2025.12).
   * Older servers expose `private_key_type` instead and ignore the unknown filter.
   */
  keyTypeField: boolean;
}

/** Returns the features of a version mode. */
export function featuresOf(version: AuthentikVersion): VersionFeatures {
  const current = VERSION_CURRENT[version];
  return {
    grantTypes: isAtLeast(current, '2026.5'),
    redirectUriType: isAtLeast(current, '2026.5'),
    keyTypeField: isAtLeast(current, '2025.12'),
  };
}

/** Compares dotted version numbers part by part. A missing part counts as 0. */
export function isAtLeast(version: string, minimum: string): boolean {
  const actual = version.split('.').map(Number);
  const wanted = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(actual.length, wanted.length); i++) {
    const a = actual[i] ?? 0;
    const b = wanted[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}
