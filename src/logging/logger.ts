import pino, { type DestinationStream, type Logger } from 'pino';

import { type LogLevel } from '../config/env';

export type { Logger } from 'pino';

/**
 * Field names whose values are replaced before a line is written, wherever they appear
 * in the first three levels of a log object.
 */
const SECRET_FIELDS = [
  'password',
  'token',
  'secret',
  'client_secret',
  'clientSecret',
  'oidcClientSecret',
  'authorization',
  'Authorization',
  'Espo-Authorization',
  'espo-authorization',
  'signingSecret',
  'botToken',
  'appToken',
];

const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
  const join = (prefix: string): string => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
  return [key.startsWith('[') ? key.slice(2, -2) : key, join('*'), join('*.*'), join('headers'), join('*.headers')];
});

/**
 * Secret values known to this process (tokens, passwords, client secrets) in every form they
 * could take in a line: as is, JSON-escaped and base64-encoded. Lines are scanned for them
 * just before they are written, so a secret that reaches a message by accident is still masked.
 */
const knownSecrets = new Set<string>();

/** Adds a value (and its encoded forms) to the set every log line is scanned for. Short values are ignored. */
export function registerSecretValue(value: string): void {
  if (value.length < 6) return;
  knownSecrets.add(value);
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) knownSecrets.add(escaped);
  knownSecrets.add(Buffer.from(value).toString('base64'));
}

/** Replaces every registered secret value in `text` with "[redacted]". */
export function redactKnownSecrets(text: string): string {
  let result = text;
  for (const secret of knownSecrets) {
    if (result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; standard output by default. Tests pass a stream to capture them. */
  destination?: DestinationStream;
  /** Fields added to every line, e.g. `{ role: 'worker' }`. */
  base?: Record<string, unknown>;
}

/** Creates the product's pino logger: JSON lines, secret fields and known secret values redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'espo-sso', ...(options.base ?? {}) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: redactKnownSecrets },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing, for library use without logging. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
