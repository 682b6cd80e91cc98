import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value (token, password, client secret) that does not print itself: JSON, string
 * conversion and `util.inspect` all give "[redacted]". Only `reveal()` returns the value,
 * so every place that sends a secret over the wire is easy to find.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** The value masked for display: only its length shows, and a Slack token's type prefix. */
  masked(): string {
    return maskValue(this.#value);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/**
 * Masks a secret for messages: "***(12 chars)". Slack tokens keep their type prefix
 * ("xoxb-***(56 chars)") because it tells a bot token from an app token and reveals nothing.
 */
export function maskValue(value: string): string {
  if (value.length === 0) return '(empty)';
  const prefix = /^(xoxb-|xapp-|xoxp-)/.exec(value)?.[1] ?? '';
  return `${prefix}***(${value.length} chars)`;
}
