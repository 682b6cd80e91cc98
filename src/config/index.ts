export * from './env';
export * from './issues';
export * from './load';
export * from './schema';
export * from './secret';
export { KNOWN_SCOPES, RESERVED_SLUGS, checkUrl, trimTrailingSlashes } from './validate';
