import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

import { parseCommandText } from '../../src/slack/parse';
import { COMMAND } from '../../src/slack/ids';

/**
 * manifest.yml (HTTP mode) and manifest.socket-mode.yml must be valid for Slack, ask for exactly
 * the scopes the code needs, and describe the command the bot registers.
 */

const ROOT = path.join(__dirname, '..', '..');

/** The parts of a manifest these tests read; the JSON Schema checks the rest. */
interface Manifest {
  display_information: { name: string; description?: string; long_description?: string };
  features: {
    bot_user?: { display_name: string };
    slash_commands: Array<{ command: string; description: string; usage_hint?: string; should_escape?: boolean; url?: string }>;
  };
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled: boolean;
    event_subscriptions?: unknown;
  };
}

/**
 * Bot scopes per Web API method, from each method's reference page on docs.slack.dev
 * ("Required scopes"). An empty list means the method needs no scope.
 */
const METHOD_SCOPES: Record<string, string[]> = {
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.getPermalink': [],
  'auth.test': [],
  'views.open': [],
  'usergroups.users.list': ['usergroups:read'],
};

function loadManifest(file: string): Manifest {
  return parse(readFileSync(path.join(ROOT, file), 'utf8')) as Manifest;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Web API methods called through a WebClient (`client.chat.postMessage(`) anywhere in src/. */
function calledMethods(): Set<string> {
  const methods = new Set<string>();
  const call = /\bclient\.((?:admin|apps|auth|bookmarks|bots|calls|canvases|chat|conversations|dnd|emoji|files|pins|reactions|reminders|search|team|usergroups|users|views)(?:\.[a-zA-Z]+){1,2})\(/g;
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(call)) methods.add(match[1] as string);
  }
  return methods;
}

/**
 * Draft-07 validation in strict mode, so an unknown keyword fails instead of being skipped.
 * Slack's schema adds two keywords of its own: `_note`, a comment, and `regex`, which means what
 * `pattern` means and is enforced as such. `strictTypes` is off because the schema puts
 * `minItems` on string items in its third-party auth section, which manifests here do not use.
 */
function createValidator(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addVocabulary(['_note']);
  ajv.addKeyword({
    keyword: 'regex',
    type: 'string',
    schemaType: 'string',
    validate: (pattern: string, value: string) => new RegExp(pattern).test(value),
  });
  return ajv;
}

const MANIFESTS = ['manifest.yml', 'manifest.socket-mode.yml'] as const;

describe('Slack app manifests', () => {
  const schema = JSON.parse(readFileSync(path.join(__dirname, 'manifest.schema.json'), 'utf8')) as object;
  const validate = createValidator().compile(schema);

  test.each(MANIFESTS)('%s matches the schema', (file) => {
    const valid = validate(loadManifest(file));

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('schema rejects an invalid manifest', () => {
    const manifest = loadManifest('manifest.yml');
    const broken = { ...manifest, display_information: { ...manifest.display_information, long_description: 'too short' } };

    expect(validate(broken)).toBe(false);
  });

  test.each(MANIFESTS)('%s asks for the scopes the code uses', (file) => {
    const methods = calledMethods();
    const unknown = [...methods].filter((method) => !(method in METHOD_SCOPES));
    expect(unknown).toEqual([]);
    // A method in the table that the code no longer calls would keep an unneeded scope alive.
    expect([...methods].sort()).toEqual(Object.keys(METHOD_SCOPES).sort());

    const needed = new Set(['commands', ...[...methods].flatMap((method) => METHOD_SCOPES[method] ?? [])]);
    const manifest = loadManifest(file);

    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
  });

  test.each(MANIFESTS)('%s registers the command the bot handles', (file) => {
    const manifest = loadManifest(file);
    const [command, ...others] = manifest.features.slash_commands;

    expect(others).toEqual([]);
    expect(command?.command).toBe(COMMAND);
    expect(command?.should_escape).toBe(true);
    expect(manifest.display_information.name).toBe('espo-sso');
    expect(manifest.features.bot_user?.display_name).toBe('espo-sso');
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions).toBeUndefined();
  });

  test('usage hint forms parse as commands', () => {
    const hint = loadManifest('manifest.yml').features.slash_commands[0]?.usage_hint ?? '';
    const forms = hint
      .replace(/^\[|\]$/g, '')
      .split(' | ')
      .map((form) => form.replace('<instance>', 'acme').replace(' [--purge]', ' --purge'));

    expect(forms.map((form) => form.split(' ')[0])).toEqual(['help', 'list', 'setup', 'status', 'rotate', 'disable']);
    for (const form of forms) {
      const parsed = parseCommandText(form);
      expect({ form, kind: parsed.kind, reason: 'reason' in parsed ? parsed.reason : undefined }).toEqual({ form, kind: form.split(' ')[0], reason: undefined });
    }
  });

  test('HTTP manifest points at placeholders', () => {
    const manifest = loadManifest('manifest.yml');
    const placeholder = 'https://REPLACE-WITH-YOUR-HOST/slack/events';

    expect(manifest.features.slash_commands[0]?.url).toBe(placeholder);
    expect(manifest.settings.interactivity.request_url).toBe(placeholder);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  test('Socket Mode manifest has no URLs', () => {
    const manifest = loadManifest('manifest.socket-mode.yml');

    expect(manifest.features.slash_commands[0]?.url).toBeUndefined();
    expect(manifest.settings.interactivity.request_url).toBeUndefined();
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  test('manifests differ only in mode settings', () => {
    const withoutMode = (file: string): Manifest => {
      const manifest = structuredClone(loadManifest(file));
      for (const command of manifest.features.slash_commands) delete command.url;
      delete manifest.settings.interactivity.request_url;
      manifest.settings.socket_mode_enabled = false;
      return manifest;
    };

    expect(withoutMode('manifest.socket-mode.yml')).toEqual(withoutMode('manifest.yml'));
  });
});
