/** Oldest authentik release whose API this bot speaks (list-form redirect URIs, required invalidation flow). */
export const MIN_AUTHENTIK_VERSION = '2024.10.3';
/** Newest authentik line the bot was tested against. */
export const MAX_TESTED_AUTHENTIK_VERSION = '2026.8';
/** First EspoCRM release with OIDC login. */
export const MIN_ESPOCRM_VERSION = '7.3.0';

/** Parses "2024.10.3" or "8.4.2" into numbers; missing parts are 0, a suffix like "-rc1" is ignored. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/** Compares two version strings; an unparsable one sorts first. */
export function compareVersions(a: string, b: string): number {
  const left = parseVersion(a) ?? [-1, 0, 0];
  const right = parseVersion(b) ?? [-1, 0, 0];
  for (let index = 0; index < 3; index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Whether version `a` is at least `b`. */
export function isAtLeast(a: string, b: string): boolean {
  return compareVersions(a, b) >= 0;
}
