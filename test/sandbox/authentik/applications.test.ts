import { AUTHENTIK_VERSIONS, RESERVED_APPLICATION_SLUGS, schemaViolations } from '../../../sandbox/authentik';
import { asJson, type Harness, results, startFake } from './helpers';

describe.each(AUTHENTIK_VERSIONS)('fake authentik %s: applications', (version) => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startFake({ version });
  });

  afterEach(async () => {
    await harness.stop();
  });

  test('POST stores the application', async () => {
    const provider = harness.fake.addProvider({ name: 'espocrm-sales' });
    const body = { name: 'EspoCRM Sales', slug: 'espocrm-sales', provider: provider.pk, meta_launch_url: 'https://crm.example.com/' };

    const response = await harness.call('POST', '/api/v3/core/applications/', body);

    expect(response.status).toBe(201);
    const [stored] = harness.fake.applications();
    expect(stored).toEqual({
      pk: stored.pk,
      name: 'EspoCRM Sales',
      slug: 'espocrm-sales',
      provider: provider.pk,
      backchannel_providers: [],
      open_in_new_tab: false,
      meta_launch_url: 'https://crm.example.com/',
      meta_icon: '',
      meta_description: '',
      meta_publisher: '',
      policy_engine_mode: 'any',
      group: '',
      meta_hide: false,
    });
    expect(stored.pk).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const created = asJson(response.body);
    expect(schemaViolations('Application', created)).toEqual([]);
    expect(asJson(created.provider_obj).assigned_application_slug).toBe('espocrm-sales');
    expect(created.launch_url).toBe('https://crm.example.com/');
  });

  test('provider shows its application', async () => {
    const provider = harness.fake.addProvider({ name: 'espocrm-sales' });
    harness.fake.addApplication({ name: 'EspoCRM Sales', slug: 'espocrm-sales', provider: provider.pk });

    const response = await harness.call('GET', `/api/v3/providers/oauth2/${provider.pk}/`);

    expect(response.status).toBe(200);
    expect(asJson(response.body).assigned_application_slug).toBe('espocrm-sales');
    expect(asJson(response.body).assigned_application_name).toBe('EspoCRM Sales');
  });

  test.each(RESERVED_APPLICATION_SLUGS)('reserved slug %s is rejected', async (slug) => {
    const response = await harness.call('POST', '/api/v3/core/applications/', { name: 'Reserved', slug });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ slug: [`The slug '${slug}' is reserved and cannot be used for applications.`] });
    expect(harness.fake.applications()).toEqual([]);
  });

  test('slug must match the pattern', async () => {
    const response = await harness.call('POST', '/api/v3/core/applications/', { name: 'Bad', slug: 'crm/sales' });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      slug: ['Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.'],
    });
    expect(harness.fake.applications()).toEqual([]);
  });

  test('duplicate slug is rejected', async () => {
    harness.fake.addApplication({ name: 'First', slug: 'crm' });

    const response = await harness.call('POST', '/api/v3/core/applications/', { name: 'Second', slug: 'crm' });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ slug: ['Application with this slug already exists.'] });
    expect(harness.fake.applications().map((application) => application.name)).toEqual(['First']);
  });

  test('one application per provider', async () => {
    const provider = harness.fake.addProvider({ name: 'shared' });
    harness.fake.addApplication({ name: 'First', slug: 'first', provider: provider.pk });

    const response = await harness.call('POST', '/api/v3/core/applications/', {
      name: 'Second',
      slug: 'second',
      provider: provider.pk,
    });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ provider: ['Application with this provider already exists.'] });
    expect(harness.fake.applications()).toHaveLength(1);
  });

  test('unknown provider is rejected', async () => {
    const response = await harness.call('POST', '/api/v3/core/applications/', { name: 'A', slug: 'a', provider: 42 });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ provider: ['Invalid pk "42" - object does not exist.'] });
  });

  test('missing name and slug are reported', async () => {
    const response = await harness.call('POST', '/api/v3/core/applications/', { provider: null });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ name: ['This field is required.'], slug: ['This field is required.'] });
  });

  test('GET by slug finds or answers 404', async () => {
    harness.fake.addApplication({ name: 'CRM', slug: 'crm' });

    const found = await harness.call('GET', '/api/v3/core/applications/crm/');
    const missing = await harness.call('GET', '/api/v3/core/applications/absent/');

    expect(found.status).toBe(200);
    expect(asJson(found.body).slug).toBe('crm');
    expect(asJson(found.body).provider_obj).toBeNull();
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: 'No Application matches the given query.' });
  });

  test('PATCH changes only sent fields', async () => {
    const seeded = harness.fake.addApplication({ name: 'CRM', slug: 'crm', meta_launch_url: 'https://old.example.com/' });

    const response = await harness.call('PATCH', '/api/v3/core/applications/crm/', {
      meta_launch_url: 'https://crm.example.com/',
    });

    expect(response.status).toBe(200);
    expect(harness.fake.applications()).toEqual([{ ...seeded, meta_launch_url: 'https://crm.example.com/' }]);
  });

  test('DELETE leaves an orphan provider', async () => {
    const provider = harness.fake.addProvider({ name: 'espocrm-sales' });
    harness.fake.addApplication({ name: 'CRM', slug: 'crm', provider: provider.pk });

    const deleted = await harness.call('DELETE', '/api/v3/core/applications/crm/');
    const after = await harness.call('GET', '/api/v3/core/applications/crm/');
    const orphan = await harness.call('GET', `/api/v3/providers/oauth2/?name=espocrm-sales`);

    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect(after.status).toBe(404);
    expect(harness.fake.applications()).toEqual([]);
    expect(harness.fake.providers()).toHaveLength(1);
    expect(results(orphan.body)[0].assigned_application_slug).toBeNull();
  });
});
