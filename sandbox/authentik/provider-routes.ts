import { type FakeRequest, type FakeResponse, type FakeServer } from '../common/fake-server';
import {
  type ApiContext,
  AUTHENTIK_PERMISSIONS,
  badRequest,
  isJsonObject,
  mergeErrors,
  parseRequestBody,
} from './api-common';
import { booleanFilter, choiceFilter, exactFilter, listResponse, multipleFilter } from './listing';
import { type OAuth2ProviderRecord } from './records';
import { enumValues, type RequestComponent, validateRequestBody } from './schema';
import { serializeProvider } from './serializers';

/** `/api/v3/providers/oauth2/`: list, create, retrieve, update (PUT and PATCH) and delete. */
export function registerProviderRoutes(server: FakeServer, context: ApiContext): void {
  const { store } = context;

  server.route('GET', '/api/v3/providers/oauth2/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.viewProvider);
    if (denied) return denied;
    const endpoint = {
      schemaPath: '/providers/oauth2/',
      items: [...store.providers.values()].map((provider) => serializeProvider(store, provider)),
      filters: {
        access_code_validity: exactFilter('access_code_validity'),
        access_token_validity: exactFilter('access_token_validity'),
        application: (values: string[]) => (item: Record<string, unknown>) =>
          store.applicationOfProvider(Number(item.pk))?.pk === values[values.length - 1],
        authorization_flow: exactFilter('authorization_flow'),
        client_id: exactFilter('client_id'),
        client_type: choiceFilter('client_type', 'client_type', enumValues('ClientTypeEnum')),
        include_claims_in_id_token: booleanFilter('include_claims_in_id_token'),
        issuer_mode: choiceFilter('issuer_mode', 'issuer_mode', enumValues('IssuerModeEnum')),
        name: exactFilter('name'),
        property_mappings: multipleFilter('property_mappings', 'property_mappings'),
        refresh_token_validity: exactFilter('refresh_token_validity'),
        signing_key: exactFilter('signing_key'),
        sub_mode: choiceFilter('sub_mode', 'sub_mode', enumValues('SubModeEnum')),
      },
      searchFields: ['name'],
      defaultOrdering: ['name'],
    };
    return listResponse(endpoint, request.query, (name, values) =>
      store.recordIgnoredQuery(request.method, request.path, name, values),
    );
  });

  server.route('POST', '/api/v3/providers/oauth2/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.addProvider);
    if (denied) return denied;
    const parsed = parseProviderBody(context, request, 'OAuth2ProviderRequest', undefined);
    if ('response' in parsed) return parsed.response;

    const result = store.createProvider(parsed.body);
    if (!result.ok) return badRequest(result.errors);
    return { status: 201, body: serializeProvider(store, result.record) };
  });

  server.route('GET', '/api/v3/providers/oauth2/:pk/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.viewProvider);
    if (denied) return denied;
    const provider = findProvider(context, request);
    if (!provider) return providerNotFound();
    return { status: 200, body: serializeProvider(store, provider) };
  });

  const update = (component: RequestComponent) => (request: FakeRequest): FakeResponse => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.changeProvider);
    if (denied) return denied;
    const provider = findProvider(context, request);
    if (!provider) return providerNotFound();
    const parsed = parseProviderBody(context, request, component, provider.pk);
    if ('response' in parsed) return parsed.response;

    const result = store.updateProvider(provider, parsed.body);
    if (!result.ok) return badRequest(result.errors);
    return { status: 200, body: serializeProvider(store, result.record) };
  };
  // PUT validates the whole body, but like DRF it only changes the fields it was sent.
  server.route('PUT', '/api/v3/providers/oauth2/:pk/', update('OAuth2ProviderRequest'));
  server.route('PATCH', '/api/v3/providers/oauth2/:pk/', update('PatchedOAuth2ProviderRequest'));

  server.route('DELETE', '/api/v3/providers/oauth2/:pk/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.deleteProvider);
    if (denied) return denied;
    const provider = findProvider(context, request);
    if (!provider) return providerNotFound();
    store.deleteProvider(provider.pk);
    return { status: 204 };
  });
}

/**
 * Parses and validates a provider body: fields the imitated version does not know are dropped
 * and recorded, then the body must match the schema component and authentik's rules.
 */
function parseProviderBody(
  context: ApiContext,
  request: FakeRequest,
  component: RequestComponent,
  selfPk: number | undefined,
): { body: Record<string, unknown> } | { response: FakeResponse } {
  const parsed = parseRequestBody(request);
  if ('response' in parsed) return parsed;

  const body = parsed.value;
  if (isJsonObject(body)) context.store.dropFieldsUnknownToVersion(request.method, request.path, body);
  const schemaErrors = validateRequestBody(component, body);
  const ruleErrors = isJsonObject(body) ? context.store.providerRuleErrors(body, selfPk) : undefined;
  const errors = mergeErrors(schemaErrors, ruleErrors);
  if (errors || !isJsonObject(body)) return { response: badRequest(errors ?? {}) };
  return { body };
}

/** Returns the provider named by the `:pk` path segment. A pk that is not an integer finds nothing. */
function findProvider(context: ApiContext, request: FakeRequest): OAuth2ProviderRecord | undefined {
  const text = request.params.pk;
  if (!/^\d+$/.test(text)) return undefined;
  return context.store.providers.get(Number(text));
}

function providerNotFound(): FakeResponse {
  return { status: 404, body: { detail: 'No OAuth2Provider matches the given query.' } };
}
