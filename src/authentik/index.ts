export { AuthentikClient, type AuthentikClientOptions } from './client';
export { permissionFor, type CallInfo } from './errors';
export { routeTemplate } from './transport';
export * from './types';
export {
  checkSupportedVersion,
  compareVersions,
  featuresOf,
  isAtLeast,
  MAX_TESTED_RELEASE,
  MIN_SUPPORTED_VERSION,
  parseVersion,
  type VersionFeatures,
} from './version';
