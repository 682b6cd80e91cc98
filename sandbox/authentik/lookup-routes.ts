import { type FakeServer } from '../common/fake-server';
import { type ApiContext, AUTHENTIK_PERMISSIONS } from './api-common';
import {
  booleanPredicateFilter,
  choiceFilter,
  exactFilter,
  listResponse,
  type ListFilter,
  multipleFilter,
} from './listing';
import { enumValues } from './schema';
import { serializeFlow, serializeKeypair, serializeScopeMapping } from './serializers';
import { VERSION_CURRENT } from './versions';

/**
 * Read-only routes a provisioning client calls before it writes: the server version, flows,
 * scope mappings and certificate keypairs.
 */
export function registerLookupRoutes(server: FakeServer, context: ApiContext): void {
  const { store } = context;

  // Needs a valid token but no permission.
  server.route('GET', '/api/v3/admin/version/', (request) => {
    const denied = context.deny(request);
    if (denied) return denied;
    const current = VERSION_CURRENT[store.version];
    return {
      status: 200,
      body: {
        version_current: current,
        version_latest: current,
        version_latest_valid: true,
        build_hash: '',
        outdated: false,
        outpost_outdated: false,
      },
    };
  });

  server.route('GET', '/api/v3/flows/instances/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.viewFlow);
    if (denied) return denied;
    const endpoint = {
      schemaPath: '/flows/instances/',
      items: store.flows.map(serializeFlow),
      filters: {
        denied_action: choiceFilter('denied_action', 'denied_action', enumValues('DeniedActionEnum')),
        designation: choiceFilter('designation', 'designation', enumValues('FlowDesignationEnum')),
        flow_uuid: exactFilter('pk'),
        name: exactFilter('name'),
        slug: exactFilter('slug'),
      },
      searchFields: ['name', 'slug'],
      defaultOrdering: ['slug'],
    };
    return listResponse(endpoint, request.query, (name, values) =>
      store.recordIgnoredQuery(request.method, request.path, name, values),
    );
  });

  server.route('GET', '/api/v3/propertymappings/provider/scope/', (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.viewScopeMapping);
    if (denied) return denied;
    const endpoint = {
      schemaPath: '/propertymappings/provider/scope/',
      items: store.scopeMappings.map(serializeScopeMapping),
      filters: {
        managed: multipleFilter('managed', 'managed'),
        managed__isnull: booleanPredicateFilter((item, expected) => (item.managed === null) === expected),
        name: exactFilter('name'),
        scope_name: exactFilter('scope_name'),
      },
      searchFields: ['name', 'scope_name'],
      defaultOrdering: ['scope_name', 'name'],
    };
    return listResponse(endpoint, request.query, (name, values) =>
      store.recordIgnoredQuery(request.method, request.path, name, values),
    );
  });

  server.route('GET', '/api/v3/crypto/certificatekeypairs/', async (request) => {
    const denied = context.deny(request, AUTHENTIK_PERMISSIONS.viewKeypair);
    if (denied) return denied;

    const filters: Record<string, ListFilter> = {
      // authentik's has_key filter only narrows: has_key=false returns every keypair.
      has_key: booleanPredicateFilter((item, expected) => !expected || item.private_key_available === true),
      managed: exactFilter('managed'),
      name: exactFilter('name'),
    };
    const keyTypeKnown = store.features.keyTypeField;
    if (keyTypeKnown) filters.key_type = multipleFilter('key_type', 'key_type', enumValues('KeyTypeEnum'));

    const endpoint = {
      schemaPath: '/crypto/certificatekeypairs/',
      items: await Promise.all(
        store.keypairs.map(async (keypair) => serializeKeypair(store, keypair, await store.keyMaterial(keypair))),
      ),
      filters,
      // Before 2025.12 `key_type` is no filter, so the server returns keys of every type.
      unknownToVersion: keyTypeKnown ? [] : ['key_type'],
      searchFields: ['name'],
      defaultOrdering: ['name'],
    };
    return listResponse(endpoint, request.query, (name, values) =>
      store.recordIgnoredQuery(request.method, request.path, name, values),
    );
  });
}
