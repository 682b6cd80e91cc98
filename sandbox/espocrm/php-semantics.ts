/**
 * PHP value rules that EspoCRM applies to JSON request data. The fake needs them to store and
 * judge values the way the real server does, for example a string "false" that counts as true.
 */

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Error for inputs where PHP would throw a TypeError, for example `mb_strlen()` on an array.
 * The fake responds to such requests with 500, as EspoCRM does.
 */
export class PhpTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhpTypeError';
  }
}

export function isJsonObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns what `(bool) $value` gives in PHP for a decoded JSON value: null, false, 0, 0.0, "",
 * "0" and an empty array are false. Every object is true, because JSON objects decode to stdClass.
 */
export function phpTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '' && value !== '0';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/**
 * Converts a scalar the way PHP does when a string parameter receives it (`mb_strlen`,
 * `preg_match`): true becomes "1", false and null become "". Raises PhpTypeError for arrays
 * and objects.
 */
export function phpToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === true) return '1';
  if (value === false || value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  throw new PhpTypeError(`cannot convert ${Array.isArray(value) ? 'array' : 'object'} to string`);
}

/** Returns the length in characters (code points), as `mb_strlen()` counts UTF-8 text. */
export function phpMbStrlen(value: unknown): number {
  return [...phpToString(value)].length;
}

/**
 * Tests `value` against a PCRE pattern that was wrapped as `/^...$/` without the D modifier.
 * There `$` also matches before a final newline, so "a.b\n" passes where a JavaScript `$` fails.
 */
export function phpAnchoredMatch(body: string, value: string): boolean {
  return new RegExp(`^(?:${body})\\n?$`).test(value);
}

/**
 * Returns whether `in_array($value, $options)` without the strict flag is true in PHP 8 for
 * options that are non-numeric strings: a string must equal an option, true equals any non-empty
 * string, and null equals only "". Numbers, false, arrays and objects never match.
 */
export function phpLooseInArray(value: unknown, options: readonly (string | null)[]): boolean {
  if (typeof value === 'string') return options.includes(value);
  if (value === true) return options.some((option) => option !== null && option !== '');
  if (value === null) return options.some((option) => option === null || option === '');
  return false;
}

/**
 * Encodes like PHP `urlencode()`: only letters, digits and `-_.` stay as they are, and a space
 * becomes `+`.
 */
export function phpUrlencode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * Encodes like PHP `json_encode()` with no flags: slashes are escaped as `\/` and every
 * non-ASCII character becomes a `\uXXXX` escape.
 */
export function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Converts a query parameter like PHP 8 `intval()`: the leading number counts, with its
 * fraction cut off ("1.9" gives 1, "1e3" gives 1000, "12abc" gives 12), and text without a
 * leading number gives 0.
 */
export function phpIntval(text: string): number {
  const match = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(text);
  if (!match) return 0;
  const number = Math.trunc(Number(match[0]));
  return Number.isFinite(number) ? number : 0;
}

/** Strips what PHP `trim()` strips by default: spaces, tabs, line breaks, NUL and vertical tabs. */
export function phpTrim(text: string): string {
  const stripped = new Set([' ', '\t', '\n', '\r', '\0', '\x0B']);
  let start = 0;
  let end = text.length;
  while (start < end && stripped.has(text[start])) start++;
  while (end > start && stripped.has(text[end - 1])) end--;
  return text.slice(start, end);
}
