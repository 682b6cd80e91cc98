import { type FakeResponse } from '../common/fake-server';
import { type FieldErrors, operationQueryParameters } from './schema';

/**
 * List endpoints the way authentik serves them: django-filter filters, DRF's search and ordering,
 * and authentik's page-number pagination (`pagination` object plus `results`).
 */

type Json = Record<string, unknown>;

/** authentik's default page size. */
export const DEFAULT_PAGE_SIZE = 100;

/** Parameters every list endpoint takes. `listResponse` handles them itself. */
export const COMMON_LIST_PARAMETERS: readonly string[] = ['page', 'page_size', 'ordering', 'search'];

/** A filter: from the parameter's values, a predicate on serialized items, or a 400 body. */
export type ListFilter = (values: string[]) => ((item: Json) => boolean) | { errors: FieldErrors };

/** Returns a filter that matches one serialized field exactly. */
export function exactFilter(field: string): ListFilter {
  return (values) => {
    const expected = values[values.length - 1];
    return (item) => item[field] !== null && String(item[field]) === expected;
  };
}

/** Returns an exact-match filter for a choice field. An unknown choice is a 400, as in django-filter. */
export function choiceFilter(parameter: string, field: string, choices: string[]): ListFilter {
  return (values) => {
    const expected = values[values.length - 1];
    if (!choices.includes(expected)) return { errors: { [parameter]: [invalidChoice(expected)] } };
    return (item) => item[field] === expected;
  };
}

/** Returns a filter for a repeated parameter whose values are OR-ed (`?managed=a&managed=b`). `choices` rejects unknown values. */
export function multipleFilter(parameter: string, field: string, choices?: string[]): ListFilter {
  return (values) => {
    const unknown = choices ? values.find((value) => !choices.includes(value)) : undefined;
    if (unknown !== undefined) return { errors: { [parameter]: [invalidChoice(unknown)] } };
    return (item) => {
      const value = item[field];
      if (Array.isArray(value)) return value.some((entry) => values.includes(String(entry)));
      return value !== null && value !== undefined && values.includes(String(value));
    };
  };
}

/**
 * Returns a boolean filter. Django's boolean form field maps anything but true/false spellings
 * to "no filter", so an unknown value returns every item.
 */
export function booleanFilter(field: string): ListFilter {
  return (values) => {
    const expected = parseBoolean(values[values.length - 1]);
    if (expected === undefined) return () => true;
    return (item) => Boolean(item[field]) === expected;
  };
}

/** Returns a filter that applies `predicate` with the parsed boolean value, e.g. for `has_key`. */
export function booleanPredicateFilter(predicate: (item: Json, expected: boolean) => boolean): ListFilter {
  return (values) => {
    const expected = parseBoolean(values[values.length - 1]);
    if (expected === undefined) return () => true;
    return (item) => predicate(item, expected);
  };
}

export function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['true', 'True', '1'].includes(value)) return true;
  if (['false', 'False', '0'].includes(value)) return false;
  return undefined;
}

function invalidChoice(value: string): string {
  return `Select a valid choice. ${value} is not one of the available choices.`;
}

/**
 * DRF's SearchFilter: every whitespace- or comma-separated term must occur, case-insensitively,
 * in at least one of the search fields.
 */
export function searchItems(items: Json[], search: string | null, fields: string[]): Json[] {
  const terms = (search ?? '').split(/[\s,]+/).filter((term) => term !== '').map((term) => term.toLowerCase());
  if (terms.length === 0) return items;
  return items.filter((item) =>
    terms.every((term) => fields.some((field) => String(item[field] ?? '').toLowerCase().includes(term))),
  );
}

/**
 * DRF's OrderingFilter: `ordering=name,-slug`. Fields that the items do not have are dropped,
 * and when none is left the endpoint's default ordering applies.
 */
export function orderItems(items: Json[], ordering: string | null, defaultOrdering: string[]): Json[] {
  const requested = (ordering ?? '')
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field !== '' && items.length > 0 && field.replace(/^-/, '') in items[0]);
  const fields = requested.length > 0 ? requested : defaultOrdering;

  return [...items].sort((a, b) => {
    for (const spec of fields) {
      const descending = spec.startsWith('-');
      const field = spec.replace(/^-/, '');
      const order = compareValues(a[field], b[field]);
      if (order !== 0) return descending ? -order : order;
    }
    return 0;
  });
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = String(a);
  const right = String(b);
  if (left < right) return -1;
  return left > right ? 1 : 0;
}

/**
 * Returns one page as authentik's pagination does. `page` is a number from 1 or `last`. A page
 * past the end or a value that is not a number is a 404 "Invalid page." A `page_size` that is not a positive integer
 * falls back to the default of 100, as DRF does.
 */
export function paginate(items: Json[], query: URLSearchParams): FakeResponse {
  const pageSize = parsePositiveInteger(query.get('page_size')) ?? DEFAULT_PAGE_SIZE;
  const count = items.length;
  const totalPages = Math.max(1, Math.ceil(count / pageSize));

  const pageParameter = query.get('page') ?? '1';
  const page = pageParameter === 'last' ? totalPages : parsePositiveInteger(pageParameter);
  if (page === undefined || page > totalPages) return { status: 404, body: { detail: 'Invalid page.' } };

  const start = (page - 1) * pageSize;
  const results = items.slice(start, start + pageSize);
  return {
    status: 200,
    body: {
      pagination: {
        next: page < totalPages ? page + 1 : 0,
        previous: page > 1 ? page - 1 : 0,
        count,
        current: page,
        total_pages: totalPages,
        start_index: count === 0 ? 0 : start + 1,
        end_index: count === 0 ? 0 : start + results.length,
      },
      results,
      autocomplete: {},
    },
  };
}

function parsePositiveInteger(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const number = Number(value.trim());
  return number > 0 ? number : undefined;
}

/** One list endpoint: its items and the query parameters it understands. */
export interface ListEndpoint {
  /** Path of the operation in authentik's schema, e.g. `/flows/instances/`. */
  schemaPath: string;
  /** Every item, serialized. */
  items: Json[];
  filters: Record<string, ListFilter>;
  /** Schema parameters the fake accepts without filtering (it has no users or policies). */
  acceptedWithoutEffect?: string[];
  /** Schema parameters the imitated version does not know yet, so it ignores them. */
  unknownToVersion?: string[];
  searchFields: string[];
  defaultOrdering: string[];
}

/**
 * Serves a list request: filters, search, ordering, then one page. A parameter the real server
 * does not know is ignored (and passed to `onIgnored`). A parameter the schema lists but the fake
 * does not implement is a 400, so a test never gets an unfiltered list by mistake.
 */
export function listResponse(
  endpoint: ListEndpoint,
  query: URLSearchParams,
  onIgnored: (name: string, values: string[]) => void,
): FakeResponse {
  const known = operationQueryParameters(endpoint.schemaPath, 'get');
  for (const name of endpoint.unknownToVersion ?? []) known.delete(name);

  const predicates: ((item: Json) => boolean)[] = [];
  let errors: FieldErrors = {};
  for (const name of new Set(query.keys())) {
    if (COMMON_LIST_PARAMETERS.includes(name)) continue;
    const values = query.getAll(name);
    const filter = known.has(name) ? endpoint.filters[name] : undefined;
    if (filter) {
      const outcome = filter(values);
      if (typeof outcome === 'function') predicates.push(outcome);
      else errors = { ...errors, ...outcome.errors };
    } else if (known.has(name) && !(endpoint.acceptedWithoutEffect ?? []).includes(name)) {
      return {
        status: 400,
        body: { detail: `The fake authentik does not implement the query parameter "${name}" of ${endpoint.schemaPath}.` },
      };
    } else if (!known.has(name)) {
      onIgnored(name, values);
    }
  }
  if (Object.keys(errors).length > 0) return { status: 400, body: errors };

  const filtered = endpoint.items.filter((item) => predicates.every((predicate) => predicate(item)));
  const searched = searchItems(filtered, query.get('search'), endpoint.searchFields);
  return paginate(orderItems(searched, query.get('ordering'), endpoint.defaultOrdering), query);
}
