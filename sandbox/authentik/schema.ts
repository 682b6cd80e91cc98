import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

/**
 * authentik's OpenAPI schema (schema.yml shipped in the @goauthentik/api package), compiled into
 * ajv validators. Parsing the 1.8 MB file takes about a second, so the schema and every compiled
 * validator are cached for the whole process.
 */

/** Request body components that the fake validates. */
export type RequestComponent =
  | 'OAuth2ProviderRequest'
  | 'PatchedOAuth2ProviderRequest'
  | 'ApplicationRequest'
  | 'PatchedApplicationRequest';

/**
 * DRF-style validation errors: field name -> messages. A list of objects (redirect_uris) gets one
 * entry per item, `{}` for valid items, as DRF's ListSerializer reports it.
 */
export type FieldErrors = Record<string, FieldError>;
export type FieldError = string[] | FieldErrors[];

type JsonObject = Record<string, unknown>;

interface OpenApiParameter {
  name?: unknown;
  in?: unknown;
}

interface LoadedSchema {
  document: JsonObject;
  ajv: Ajv;
  validators: Map<string, ValidateFunction>;
}

const DEFINITIONS_ID = 'authentik-components';

/** The message for a body key the schema does not list. */
export const UNKNOWN_FIELD_MESSAGE =
  "Unknown field: authentik's schema does not list it. The real server would ignore it, but the fake " +
  'rejects it. Check the spelling or remove the field.';
const SLUG_PATTERN = '^[-a-zA-Z0-9_]+$';

let loaded: LoadedSchema | undefined;

/** Path of schema.yml inside the installed @goauthentik/api package. */
export function schemaPath(): string {
  return path.join(path.dirname(require.resolve('@goauthentik/api/package.json')), 'schema.yml');
}

function loadSchema(): LoadedSchema {
  if (loaded) return loaded;

  const document = parseYaml(fs.readFileSync(schemaPath(), 'utf8')) as JsonObject;
  const components = (document.components as JsonObject | undefined)?.schemas as JsonObject | undefined;
  if (!components) throw new Error(`${schemaPath()} has no components.schemas section`);

  const definitions: JsonObject = {};
  for (const [name, schema] of Object.entries(components)) {
    definitions[name] = convertOpenApiSchema(schema);
  }

  // Ajv's "uri" format rejects '', but DRF skips validators on a blank string, so authentik
  // stores '' for an unset meta_launch_url or logout_uri.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv, ['uuid', 'date-time']);
  ajv.addFormat('uri', { type: 'string', validate: isBlankOrAbsoluteUrl });
  ajv.addSchema({ $id: DEFINITIONS_ID, definitions });

  loaded = { document, ajv, validators: new Map() };
  return loaded;
}

function isBlankOrAbsoluteUrl(value: string): boolean {
  if (value === '') return true;
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value) || /\s/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Rewrites one OpenAPI 3.0 schema node into JSON Schema draft-07 for ajv:
 * - `nullable: true` becomes a `null` type, or an `anyOf` with `{type: 'null'}` when the node has
 *   no `type`, as with `allOf: [$ref]`.
 * - `#/components/schemas/X` references point into the definitions document.
 * - Objects with `properties` and no `additionalProperties` are closed, so unknown keys fail.
 *   The real server ignores unknown keys, but the fake rejects them to catch misspelled fields.
 */
function convertOpenApiSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convertOpenApiSchema);
  if (node === null || typeof node !== 'object') return node;

  const source = node as JsonObject;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'nullable' || key === 'example' || key === 'discriminator' || key === 'xml') continue;
    if (key === 'externalDocs') continue;
    if (key === '$ref' && typeof value === 'string') {
      result.$ref = value.replace('#/components/schemas/', `${DEFINITIONS_ID}#/definitions/`);
      continue;
    }
    if (key === 'properties' && value && typeof value === 'object') {
      const properties: JsonObject = {};
      for (const [name, property] of Object.entries(value as JsonObject)) {
        properties[name] = convertOpenApiSchema(property);
      }
      result.properties = properties;
      continue;
    }
    result[key] = convertOpenApiSchema(value);
  }

  if (result.properties !== undefined && result.additionalProperties === undefined) {
    result.additionalProperties = false;
  }

  if (source.nullable !== true) return result;
  if (typeof result.type === 'string') {
    result.type = [result.type, 'null'];
    if (Array.isArray(result.enum)) result.enum = [...(result.enum as unknown[]), null];
    return result;
  }
  return { anyOf: [result, { type: 'null' }] };
}

function validatorFor(component: string): ValidateFunction {
  const schema = loadSchema();
  let validate = schema.validators.get(component);
  if (!validate) {
    validate = schema.ajv.compile({ $ref: `${DEFINITIONS_ID}#/definitions/${component}` });
    schema.validators.set(component, validate);
  }
  return validate;
}

/** Validates a request body and returns DRF-style field errors, or undefined when the body is valid. */
export function validateRequestBody(component: RequestComponent, body: unknown): FieldErrors | undefined {
  const validate = validatorFor(component);
  if (validate(body)) return undefined;
  return toFieldErrors(validate.errors ?? [], body);
}

/**
 * Validates any value against a component of the schema (e.g. `OAuth2Provider`,
 * `PaginatedFlowList`) and returns ajv's messages, empty when valid. Tests use it to check that
 * the fake's responses have the real shape.
 */
export function schemaViolations(component: string, value: unknown): string[] {
  const validate = validatorFor(component);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? error.keyword}`);
}

/** Names of the query parameters the schema lists for an operation, e.g. ('/flows/instances/', 'get'). */
export function operationQueryParameters(apiPath: string, method: string): Set<string> {
  const paths = loadSchema().document.paths as JsonObject;
  const operation = (paths[apiPath] as JsonObject | undefined)?.[method.toLowerCase()] as JsonObject | undefined;
  if (!operation) throw new Error(`authentik's schema has no operation ${method.toUpperCase()} ${apiPath}`);

  const names = new Set<string>();
  for (const parameter of (operation.parameters as OpenApiParameter[] | undefined) ?? []) {
    const resolved = resolveParameter(parameter);
    if (resolved.in === 'query' && typeof resolved.name === 'string') names.add(resolved.name);
  }
  return names;
}

function resolveParameter(parameter: OpenApiParameter & { $ref?: unknown }): OpenApiParameter {
  if (typeof parameter.$ref !== 'string') return parameter;
  const name = parameter.$ref.replace('#/components/parameters/', '');
  const components = loadSchema().document.components as JsonObject;
  return ((components.parameters as JsonObject | undefined)?.[name] as OpenApiParameter | undefined) ?? {};
}

/** Turns ajv errors into DRF's error body: one message per field, nested for lists of objects. */
function toFieldErrors(errors: ErrorObject[], body: unknown): FieldErrors {
  const result: FieldErrors = {};
  const messagesByPath = new Map<string, string[]>();

  for (const error of usefulErrors(errors)) {
    const segments = error.instancePath.split('/').slice(1).map(unescapePointer);
    if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
    if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));

    const message = drfMessage(error, valueAt(body, segments));

    // DRF reports a list item that is not an object under that item's non_field_errors, and a
    // bad primitive item (a uuid in property_mappings) on the list itself.
    if (segments.length >= 2 && /^\d+$/.test(segments[segments.length - 1])) {
      if (error.keyword === 'type' && String(error.params.type).includes('object')) {
        segments.push('non_field_errors');
      } else {
        segments.pop();
      }
    }

    const key = JSON.stringify(segments);
    const messages = messagesByPath.get(key) ?? [];
    if (!messages.includes(message)) messages.push(message);
    messagesByPath.set(key, messages);
  }

  for (const [key, messages] of messagesByPath) {
    const segments = JSON.parse(key) as string[];
    if (segments.length === 0) {
      result.non_field_errors = messages;
      continue;
    }
    placeMessages(result, segments, messages, body);
  }
  return result;
}

/**
 * Drops the errors DRF would not report: ajv's `anyOf` wrappers, the `type: null` branch of a
 * nullable field, and enum or format errors on a value that already has the wrong type.
 */
function usefulErrors(errors: ErrorObject[]): ErrorObject[] {
  const candidates = errors.filter((error) => error.keyword !== 'anyOf' && error.keyword !== 'allOf');
  const typeErrors = candidates.filter((error) => error.keyword === 'type' && error.params.type !== 'null');
  return candidates.filter((error) => {
    const samePath = (other: ErrorObject): boolean => other !== error && other.instancePath === error.instancePath;
    if (error.keyword === 'type' && error.params.type === 'null') return !candidates.some(samePath);
    if (error.keyword === 'type') return true;
    if (error.keyword === 'required' || error.keyword === 'additionalProperties') return true;
    return !typeErrors.some(samePath);
  });
}

function placeMessages(target: FieldErrors, segments: string[], messages: string[], body: unknown): void {
  const [field, index, ...rest] = segments;
  if (index === undefined || rest.length === 0) {
    target[field] = messages;
    return;
  }

  // An error inside an item of a list of objects: DRF returns one dict per item.
  const items = valueAt(body, [field]);
  const length = Array.isArray(items) ? items.length : Number(index) + 1;
  const existing = target[field];
  const perItem: FieldErrors[] =
    Array.isArray(existing) && existing.length === length && typeof existing[0] === 'object'
      ? (existing as FieldErrors[])
      : Array.from({ length }, () => ({}));
  placeMessages(perItem[Number(index)], rest, messages, valueAt(body, [field, index]));
  target[field] = perItem;
}

function valueAt(value: unknown, segments: string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Returns the message DRF gives for the same failure, so clients see the real wording. */
function drfMessage(error: ErrorObject, value: unknown): string {
  switch (error.keyword) {
    case 'required':
      return 'This field is required.';
    case 'additionalProperties':
      return UNKNOWN_FIELD_MESSAGE;
    case 'type':
      return typeMessage(String(error.params.type), value);
    case 'enum':
      return `"${String(value)}" is not a valid choice.`;
    case 'minLength':
      return Number(error.params.limit) === 1
        ? 'This field may not be blank.'
        : `Ensure this field has at least ${String(error.params.limit)} characters.`;
    case 'maxLength':
      return `Ensure this field has no more than ${String(error.params.limit)} characters.`;
    case 'pattern':
      return error.params.pattern === SLUG_PATTERN
        ? 'Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.'
        : 'This value does not match the required pattern.';
    case 'format':
      if (error.params.format === 'uuid') return `“${String(value)}” is not a valid UUID.`;
      if (error.params.format === 'uri') return 'Enter a valid URL.';
      return `Invalid ${String(error.params.format)} value.`;
    default:
      return error.message ?? `Invalid value (${error.keyword}).`;
  }
}

function typeMessage(expected: string, value: unknown): string {
  if (value === null) return 'This field may not be null.';
  const types = expected.split(',');
  if (types.includes('array')) return `Expected a list of items but got type "${pythonTypeName(value)}".`;
  if (types.includes('object')) return `Invalid data. Expected a dictionary, but got ${pythonTypeName(value)}.`;
  if (types.includes('integer')) return 'A valid integer is required.';
  if (types.includes('boolean')) return 'Must be a valid boolean.';
  if (types.includes('string')) return 'Not a valid string.';
  return `Expected ${expected}.`;
}

/** Returns the Python type name that DRF puts in its messages for a JSON value. */
export function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

/** Returns the values of an enum component, e.g. `enumValues('FlowDesignationEnum')`. */
export function enumValues(component: string): string[] {
  const components = (loadSchema().document.components as JsonObject).schemas as JsonObject;
  const values = (components[component] as JsonObject | undefined)?.enum;
  if (!Array.isArray(values)) throw new Error(`authentik's schema has no enum component ${component}`);
  return values.map(String);
}
