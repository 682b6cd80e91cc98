import path from 'node:path';
import { schemaPath, schemaViolations, UNKNOWN_FIELD_MESSAGE, validateRequestBody } from '../../../sandbox/authentik';

const FLOW = '4f6c0c53-8a53-4e5b-9f0e-6c1f3f9b2a11';

describe('authentik schema validation', () => {
  test('schema comes from the package', () => {
    expect(schemaPath()).toBe(path.join(path.dirname(require.resolve('@goauthentik/api/package.json')), 'schema.yml'));
  });

  test('nullable fields accept null', () => {
    expect(validateRequestBody('PatchedOAuth2ProviderRequest', { signing_key: null, authentication_flow: null })).toBeUndefined();
    expect(validateRequestBody('PatchedApplicationRequest', { provider: null })).toBeUndefined();
  });

  test('null on a required string', () => {
    expect(validateRequestBody('PatchedOAuth2ProviderRequest', { authorization_flow: null })).toEqual({
      authorization_flow: ['This field may not be null.'],
    });
  });

  test('enum behind $ref is checked', () => {
    expect(validateRequestBody('PatchedOAuth2ProviderRequest', { sub_mode: 'username' })).toEqual({
      sub_mode: ['"username" is not a valid choice.'],
    });
    expect(validateRequestBody('PatchedApplicationRequest', { policy_engine_mode: 'none' })).toEqual({
      policy_engine_mode: ['"none" is not a valid choice.'],
    });
  });

  test('unknown keys are rejected', () => {
    expect(validateRequestBody('PatchedApplicationRequest', { launch_url: 'https://crm.example.com/' })).toEqual({
      launch_url: [UNKNOWN_FIELD_MESSAGE],
    });
  });

  test('nested item errors per index', () => {
    const errors = validateRequestBody('PatchedOAuth2ProviderRequest', {
      redirect_uris: [{ matching_mode: 'exact', url: 'https://a.example.com/' }, 'https://b.example.com/'],
    });

    expect(errors).toEqual({
      redirect_uris: [
        { matching_mode: ['"exact" is not a valid choice.'] },
        { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] },
      ],
    });
  });

  test('uuid lists report on the list', () => {
    expect(validateRequestBody('PatchedOAuth2ProviderRequest', { property_mappings: [FLOW, 'openid'] })).toEqual({
      property_mappings: ['“openid” is not a valid UUID.'],
    });
  });

  test('blank and invalid URLs', () => {
    expect(validateRequestBody('PatchedApplicationRequest', { meta_launch_url: '' })).toBeUndefined();
    expect(validateRequestBody('PatchedApplicationRequest', { meta_launch_url: 'crm.example.com' })).toEqual({
      meta_launch_url: ['Enter a valid URL.'],
    });
  });

  test('body must be an object', () => {
    expect(validateRequestBody('ApplicationRequest', ['crm'])).toEqual({
      non_field_errors: ['Invalid data. Expected a dictionary, but got list.'],
    });
  });

  test('string length limits', () => {
    expect(validateRequestBody('PatchedOAuth2ProviderRequest', { name: '', client_secret: 'x'.repeat(256) })).toEqual({
      name: ['This field may not be blank.'],
      client_secret: ['Ensure this field has no more than 255 characters.'],
    });
  });

  test('response shapes are checked', () => {
    expect(schemaViolations('Version', { version_current: '2026.8.3' })).not.toEqual([]);
  });
});
