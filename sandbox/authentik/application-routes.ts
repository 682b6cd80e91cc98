import { type FakeRequest, type FakeResponse, type FakeServer } from '../common/fake-server';
import {
  type ApiContext,
  AUTHENTIK_PERMISSIONS,
  badRequest,
  isJsonObject,
  mergeErrors,
  parseRequestBody,
} from './api-common';
import { booleanPredicateFilter, exactFilter, listResponse } from './listing';
import { type ApplicationRecord } from './records';
import { type RequestComponent, validateRequestBody } from './schema';
import { serializeApplication } from './serializers';

/** `/api/v3/core/applications/`: list, create, and retrieve, update or delete by slug. */
export function registerApplicationRoutes(server: FakeServer, context: ApiContext): void {
  const { store } = context;

  server.route('GET', '/api/v3/core/applications/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.viewApplication);
    if (denied) return denied;
    const endpoint = {
      schemaPath: '/core/applications/',
      items: store.applications.map((application) => serializeApplication(store, application)),
      filters: {
        group: exactFilter('group'),
        meta_description: exactFilter('meta_description'),
        meta_launch_url: exactFilter('meta_launch_url'),
        meta_publisher: exactFilter('meta_publisher'),
        name: exactFilter('name'),
        only_with_launch_url: booleanPredicateFilter((item, expected) => !expected || item.launch_url !== null),
        slug: exactFilter('slug'),
      },
      // NOTE: the real list is filtered by policies and cached for users who are not
      // superusers. The fake has no users or policies, so these parameters change nothing.
      acceptedWithoutEffect: ['for_user', 'superuser_full_list'],
      searchFields: ['name', 'slug', 'meta_launch_url', 'meta_description', 'meta_publisher', 'group'],
      defaultOrdering: ['name'],
    };
    return listResponse(endpoint, request.query, (name, values) =>
      store.recordIgnoredQuery(request.method, request.path, name, values),
    );
  });

  server.route('POST', '/api/v3/core/applications/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.addApplication);
    if (denied) return denied;
    const parsed = parseApplicationBody(context, request, 'ApplicationRequest', undefined);
    if ('response' in parsed) return parsed.response;

    const result = store.createApplication(parsed.body);
    if (!result.ok) return badRequest(result.errors);
    return { status: 201, body: serializeApplication(store, result.record) };
  });

  server.route('GET', '/api/v3/core/applications/:slug/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.viewApplication);
    if (denied) return denied;
    const application = store.findApplication(slugParameter(request));
    if (!application) return applicationNotFound();
    return { status: 200, body: serializeApplication(store, application) };
  });

  const update = (component: RequestComponent) => (request: FakeRequest): FakeResponse => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.changeApplication);
    if (denied) return denied;
    const application = store.findApplication(slugParameter(request));
    if (!application) return applicationNotFound();
    const parsed = parseApplicationBody(context, request, component, application);
    if ('response' in parsed) return parsed.response;

    const result = store.updateApplication(application, parsed.body);
    if (!result.ok) return badRequest(result.errors);
    return { status: 200, body: serializeApplication(store, result.record) };
  };
  // PUT validates the whole body, but like DRF it only changes the fields it was sent.
  server.route('PUT', '/api/v3/core/applications/:slug/', update('ApplicationRequest'));
  server.route('PATCH', '/api/v3/core/applications/:slug/', update('PatchedApplicationRequest'));

  server.route('DELETE', '/api/v3/core/applications/:slug/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.deleteApplication);
    if (denied) return denied;
    const application = store.findApplication(slugParameter(request));
    if (!application) return applicationNotFound();
    store.deleteApplication(application);
    return { status: 204 };
  });
}

/** Parses a body and checks it against the schema component and authentik's application rules. */
function parseApplicationBody(
  context: ApiContext,
  request: FakeRequest,
  component: RequestComponent,
  self: ApplicationRecord | undefined,
): { body: Record<string, unknown> } | { response: FakeResponse } {
  const parsed = parseRequestBody(request);
  if ('response' in parsed) return parsed;

  const body = parsed.value;
  const schemaErrors = validateRequestBody(component, body);
  const ruleErrors = isJsonObject(body) ? context.store.applicationRuleErrors(body, self) : undefined;
  const errors = mergeErrors(schemaErrors, ruleErrors);
  if (errors || !isJsonObject(body)) return { response: badRequest(errors ?? {}) };
  return { body };
}

/** Returns the percent-decoded `:slug` path segment. A malformed escape is kept as sent and matches nothing. */
function slugParameter(request: FakeRequest): string {
  try {
    return decodeURIComponent(request.params.slug);
  } catch {
    return request.params.slug;
  }
}

function applicationNotFound(): FakeResponse {
  return { status: 404, body: { detail: 'No Application matches the given query.' } };
}
