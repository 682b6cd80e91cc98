import { isJsonObject, phpAnchoredMatch, phpLooseInArray, phpMbStrlen, phpToString } from './php-semantics';
import { attributesOf, type EspoMode, settingsFieldsFor, type SettingsFieldDefinition } from './settings-schema';

/**
 * Server-side validation of `PUT /api/v1/Settings`, as EspoCRM's FieldValidationManager runs it
 * on the fields present in the request body. Booleans, unknown keys and the admin UI's
 * "required" rules are not checked, as on the real server.
 */

/** The first failed check: the field name and EspoCRM's name for the rule. */
export interface FieldValidationFailure {
  field: string;
  type: string;
}

/** EspoCRM's default maximum length of varchar, url, password and enum values, in characters. */
export const DEFAULT_MAX_LENGTH = 255;

/** EspoCRM's default maximum length of one multiEnum item, in characters. */
export const DEFAULT_MAX_ITEM_LENGTH = 100;

// EspoCRM's regExpPatterns.uriOptionalProtocol accepts an optional "scheme://" prefix, then one
// or more characters of a URL alphabet without "&" and "~", then a dot, then any characters of
// the alphabet with "&" and "~". So a value passes only if it has a dot after the scheme:
// http://localhost:9000/x and http://authentik:9000/x fail, http://127.0.0.1:9000/x passes, and
// so does a dot-less host with a dot later in the path (http://localhost/a.b).
const URL_CHARACTERS_BEFORE_DOT = "A-Za-z0-9%./?:@\\-_=#$!+*()',";
const URL_CHARACTERS_AFTER_DOT = `${URL_CHARACTERS_BEFORE_DOT}&~`;
const URI_OPTIONAL_PROTOCOL = `(?:[A-Za-z0-9]+://)?[${URL_CHARACTERS_BEFORE_DOT}]+\\.[${URL_CHARACTERS_AFTER_DOT}]*`;

// EspoCRM's regExpPatterns.id: the characters a record id may contain.
const RECORD_ID = '[A-Za-z0-9_=\\-.]+';

/** Returns whether a url field value passes EspoCRM's `valid` rule. */
export function isValidUrlValue(value: unknown): boolean {
  if (value === null) return true;
  return phpAnchoredMatch(URI_OPTIONAL_PROTOCOL, phpToString(value));
}

/**
 * Returns the first validation failure for a Settings write, or null when the body may be
 * stored. Raises PhpTypeError where EspoCRM fails with 500, for example an array in a url field.
 */
export function validateSettingsWrite(
  data: ReadonlyMap<string, unknown>,
  mode: EspoMode,
): FieldValidationFailure | null {
  for (const field of settingsFieldsFor(mode)) {
    // linkMultiple fields are validated when their ids attribute is sent, others when their name is.
    const trigger = attributesOf(field)[0];
    if (!data.has(trigger)) continue;

    const failedRule = firstFailedRule(field, data.get(trigger));
    if (failedRule) return { field: field.name, type: failedRule };
  }
  return null;
}

function firstFailedRule(field: SettingsFieldDefinition, value: unknown): string | null {
  switch (field.type) {
    case 'varchar':
      return exceedsMaxLength(value) ? 'maxLength' : null;
    case 'url':
      if (exceedsMaxLength(value)) return 'maxLength';
      return isValidUrlValue(value) ? null : 'valid';
    case 'password':
      return firstFailedPasswordRule(value);
    case 'enum':
      return firstFailedEnumRule(field, value);
    case 'multiEnum':
      return firstFailedMultiEnumRule(field, value);
    case 'linkMultiple':
      return hasInvalidRecordId(value) ? 'pattern' : null;
    case 'bool':
      return null;
  }
}

// Empty strings and null skip the length check, like VarcharType::checkMaxLength.
function exceedsMaxLength(value: unknown): boolean {
  if (value === '' || value === null) return false;
  return phpMbStrlen(value) > DEFAULT_MAX_LENGTH;
}

// PasswordType checks the raw body value: null or a string, then the length of a string.
function firstFailedPasswordRule(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') return 'valid';
  return phpMbStrlen(value) > DEFAULT_MAX_LENGTH ? 'maxLength' : null;
}

// EnumType checks the option list first (with PHP's loose in_array), then the length.
function firstFailedEnumRule(field: SettingsFieldDefinition, value: unknown): string | null {
  if (field.options && !phpLooseInArray(value, field.options)) return 'valid';
  if (value === null) return null;
  return phpMbStrlen(value) > DEFAULT_MAX_LENGTH ? 'maxLength' : null;
}

// The mandatory multiEnum rules in EspoCRM's order: array, arrayOfString, valid,
// maxItemLength, noEmptyString. null passes all of them.
function firstFailedMultiEnumRule(field: SettingsFieldDefinition, value: unknown): string | null {
  if (value === null) return null;
  if (!Array.isArray(value)) return 'array';

  const items: unknown[] = value;
  if (!items.every((item) => typeof item === 'string')) return 'arrayOfString';
  const strings = items as string[];

  const checksOptions = field.options !== undefined && !field.allowCustomOptions;
  if (checksOptions && !strings.every((item) => field.options?.includes(item))) return 'valid';
  if (strings.some((item) => phpMbStrlen(item) > DEFAULT_MAX_ITEM_LENGTH)) return 'maxItemLength';
  if (strings.some((item) => item === '' && !field.options?.includes(''))) return 'noEmptyString';
  return null;
}

// LinkMultipleType::checkPattern looks only at the ids list: every id must be a string of
// record-id characters. A value that is not a list passes, because PHP's foreach skips it.
// An object is iterated like a list of its values.
function hasInvalidRecordId(value: unknown): boolean {
  let ids: unknown[];
  if (Array.isArray(value)) ids = value;
  else if (isJsonObject(value)) ids = Object.values(value);
  else return false;

  return ids.some((id) => typeof id !== 'string' || !phpAnchoredMatch(RECORD_ID, id));
}
