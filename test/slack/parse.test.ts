import { type ParsedCommand, parseCommandText } from '../../src/slack/parse';

/** The text after `/espo-sso`, as Slack sends it, and what the bot makes of it. */

const ESCAPES = 'Mentions, channels and links are not instance names.';

const cases: Array<[string, ParsedCommand]> = [
  ['', { kind: 'help' }],
  ['   ', { kind: 'help' }],
  ['help', { kind: 'help' }],
  ['HELP', { kind: 'help' }],
  ['list', { kind: 'list' }],
  ['  List  ', { kind: 'list' }],
  ['setup', { kind: 'setup', instance: undefined }],
  ['setup acme', { kind: 'setup', instance: 'acme' }],
  ['SETUP ACME', { kind: 'setup', instance: 'acme' }],
  ['  setup \t  acme  ', { kind: 'setup', instance: 'acme' }],
  ['setup&nbsp;acme', { kind: 'setup', instance: 'acme' }],
  ['setup\u00a0acme', { kind: 'setup', instance: 'acme' }],
  ['setup acme-eu_2', { kind: 'setup', instance: 'acme-eu_2' }],
  ['status acme', { kind: 'status', instance: 'acme' }],
  ['rotate acme', { kind: 'rotate', instance: 'acme' }],
  ['disable acme', { kind: 'disable', instance: 'acme', purge: false }],
  ['disable acme --purge', { kind: 'disable', instance: 'acme', purge: true }],
  ['disable --purge acme', { kind: 'disable', instance: 'acme', purge: true }],
  ['disable acme purge', { kind: 'disable', instance: 'acme', purge: true }],
  ['<@U123>', { kind: 'help', reason: ESCAPES }],
  ['setup <@U123>', { kind: 'help', reason: ESCAPES }],
  ['setup <@U123|bob>', { kind: 'help', reason: ESCAPES }],
  ['setup <#C1|x>', { kind: 'help', reason: ESCAPES }],
  ['setup <#C1>', { kind: 'help', reason: ESCAPES }],
  ['setup <!here>', { kind: 'help', reason: ESCAPES }],
  ['setup <https://x|y>', { kind: 'help', reason: ESCAPES }],
  ['setup <http://acme.example.com>', { kind: 'help', reason: ESCAPES }],
  ['setup <mailto:a@example.com|a>', { kind: 'help', reason: ESCAPES }],
  ['setup &lt;@U123&gt;', { kind: 'help', reason: ESCAPES }],
  ['frobnicate', { kind: 'help', reason: 'I do not understand "frobnicate".' }],
  ['help me', { kind: 'help', reason: 'I do not understand "help me".' }],
  ['list all', { kind: 'help', reason: 'I do not understand "list all".' }],
  ['setup acme extra', { kind: 'help', reason: 'I do not understand "setup acme extra".' }],
  ['status', { kind: 'help', reason: 'I do not understand "status".' }],
  ['rotate a b', { kind: 'help', reason: 'I do not understand "rotate a b".' }],
  ['disable', { kind: 'help', reason: 'I do not understand "disable".' }],
  ['disable --purge', { kind: 'help', reason: 'I do not understand "disable --purge".' }],
  ['setup acme.example.com', { kind: 'help', reason: 'I do not understand "setup acme.example.com".' }],
  ['setup ../etc', { kind: 'help', reason: 'I do not understand "setup ../etc".' }],
  ['setup *acme*', { kind: 'help', reason: 'I do not understand "setup acme".' }],
  [`setup ${'a'.repeat(41)}`, { kind: 'help', reason: `I do not understand "setup ${'a'.repeat(41)}".` }],
  [`setup ${'a'.repeat(80)}`, { kind: 'help', reason: `I do not understand "setup ${'a'.repeat(51)}...".` }],
  ['x'.repeat(501), { kind: 'help', reason: 'That command is too long.' }],
];

test.each(cases)('parse %j', (text, expected) => {
  expect(parseCommandText(text)).toEqual(expected);
});

test('echo drops markup and control characters', () => {
  const parsed = parseCommandText('frob <b>`x`\u0007~y~');
  expect(parsed).toEqual({ kind: 'help', reason: 'I do not understand "frob bx y".' });
});
