import { type types } from '@slack/bolt';

import { parseConfig } from '../../src/config';
import { Secret } from '../../src/config/secret';
import { type RequestRecord, type RequestState } from '../../src/jobs/request-store';
import { createLogger } from '../../src/logging/logger';
import { type ApplyResult, type Change, type Plan, type ProgressEvent } from '../../src/provisioning/types';
import { ACTION } from '../../src/slack/ids';
import { SlackNotifier } from '../../src/slack/notifier';
import { chunkText } from '../../src/slack/text';
import {
  type SlackMessage,
  LIMITS,
  fullPlanMessages,
  helpMessage,
  listMessage,
  plainMessage,
  progressMessage,
  requestMessage,
  resultMessage,
  setupModal,
  statusMessage,
} from '../../src/slack/views';
import { createSlackClient } from '../../src/slack/web-client';
import { FakeSlack, MAX_BLOCKS_JSON_LENGTH, validateBlocks, validateModalView } from '../../sandbox/slack';

/** Every message the bot builds stays within Slack's Block Kit limits and has a fallback text. */

type KnownBlock = types.KnownBlock;

const INSTANCE_URL = 'https://crm.example.com';

function change(index: number, overrides: Partial<Change> = {}): Change {
  return {
    system: 'espocrm',
    object: 'settings',
    action: 'update',
    field: `oidcField${index}`,
    current: `old value number ${index} <&>`,
    next: `new value number ${index} with some more text to make the line longer`,
    ...overrides,
  };
}

function makePlan(changes: Change[], overrides: Partial<Plan> = {}): Plan {
  return {
    formatVersion: 1,
    id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    operation: 'setup',
    instance: 'demo',
    purge: false,
    createdAt: '2026-01-02T03:04:05.000Z',
    fingerprint: 'f'.repeat(64),
    changes,
    warnings: [],
    errors: [],
    summary: {
      provider: 'create',
      application: 'create',
      espocrm: 'update',
      newSecret: true,
      clientId: null,
      redirectUri: `${INSTANCE_URL}/oauth-callback.php`,
      loginUrl: INSTANCE_URL,
      authentikVersion: '2026.8.3',
      espocrmVersion: '10.0.1',
      ssoEnabled: false,
    },
    ...overrides,
  };
}

function makeRequest(state: RequestState, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    operation: 'setup',
    instance: 'demo',
    purge: false,
    requesterId: 'U0REQUESTER',
    teamId: 'T0SANDBOX',
    channelId: 'C0REQUESTS',
    state,
    createdAt: '2026-01-02T03:04:05.000Z',
    expiresAt: '2026-01-03T03:04:05.000Z',
    correlationId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    ...overrides,
  };
}

/** The decision a request in `state` carries, if any. */
function decisionFor(state: RequestState): RequestRecord['decision'] {
  if (state === 'pending' || state === 'planning') return undefined;
  let outcome: 'approved' | 'rejected' | 'expired' = 'approved';
  if (state === 'expired') outcome = 'expired';
  if (state === 'rejected') outcome = 'rejected';
  return { by: 'U0APPROVER', at: '2026-01-02T04:00:00.000Z', outcome };
}

const smallPlan = makePlan([
  change(1, { system: 'authentik', object: 'provider "EspoCRM (demo)"', action: 'create', current: null }),
  change(2),
]);

const okResult: ApplyResult = {
  ok: true,
  planId: smallPlan.id,
  operation: 'setup',
  instance: 'demo',
  changes: smallPlan.changes,
  clientId: 'client-id-123',
  loginUrl: INSTANCE_URL,
  checks: [{ name: 'discovery', ok: true, detail: 'issuer ok' }],
  undone: [],
  leftBehind: [],
};

const failedResult: ApplyResult = {
  ...okResult,
  ok: false,
  clientId: null,
  checks: Array.from({ length: 40 }, (_, index) => ({ name: `check ${index}`, ok: false, detail: 'x'.repeat(400) })),
  undone: Array.from({ length: 50 }, (_, index) => `deleted provider ${index} ${'y'.repeat(80)}`),
  leftBehind: ['application espocrm-demo'],
  error: { code: 'upstream_rejected', message: 'EspoCRM answered 400 <Bad Request>', hint: 'check the settings', retryable: false },
};

const steps: ProgressEvent[] = [
  { step: 'Read authentik and EspoCRM', status: 'done' },
  { step: 'Create authentik provider', status: 'failed', detail: 'z'.repeat(1000) },
  { step: 'Write EspoCRM settings', status: 'skipped' },
  { step: 'Verify', status: 'started' },
];

/** Checks one message against Slack's rules; returns readable problems. */
function problemsOf(message: SlackMessage): string[] {
  const problems = validateBlocks(message.blocks, 'message').map((problem) => `${problem.pointer}: ${problem.message}`);
  if (message.text.trim() === '') problems.push('empty fallback text');
  if (JSON.stringify(message.blocks).length > MAX_BLOCKS_JSON_LENGTH) problems.push('blocks too long');
  const primaries = JSON.stringify(message.blocks).split('"style":"primary"').length - 1;
  if (primaries > 1) problems.push('more than one primary button');
  return problems;
}

// Ten objects with 40 changes each, and one object with 40 changes.
const manyChanges = makePlan(Array.from({ length: 400 }, (_, index) => change(index, { object: `settings part ${Math.floor(index / 40)}` })));
const oneLongGroup = makePlan(Array.from({ length: 40 }, (_, index) => change(index)));
const manySmallGroups = makePlan(Array.from({ length: 60 }, (_, index) => change(index, { object: `team ${index}`, current: 'a', next: 'b' })));

const messages: Array<[string, SlackMessage]> = [
  ['help', helpMessage()],
  ['help with reason', helpMessage('I do not understand "x".')],
  ['plain', plainMessage('ok')],
  ['plain too long', plainMessage('p'.repeat(5000))],
  ...(['planning', 'pending', 'approved', 'rejected', 'expired', 'superseded', 'applying', 'succeeded', 'failed'] as const).map(
    (state): [string, SlackMessage] => [
      `request ${state}`,
      requestMessage(
        makeRequest(state, {
          decision: decisionFor(state),
          supersededBy: state === 'superseded' ? 'aaaaaaaa-0000-4000-8000-000000000000' : undefined,
        }),
        smallPlan,
        INSTANCE_URL,
      ),
    ],
  ),
  ['request with errors', requestMessage(makeRequest('pending'), makePlan([change(1)], { errors: [{ code: 'plan_invalid', message: 'No flow <x>', fix: 'create it' }] }), INSTANCE_URL)],
  ['request with many changes', requestMessage(makeRequest('pending'), manyChanges, INSTANCE_URL)],
  ['request with one long group', requestMessage(makeRequest('pending'), oneLongGroup, INSTANCE_URL)],
  ['request with many small groups', requestMessage(makeRequest('pending'), manySmallGroups, INSTANCE_URL)],
  ['request with long instance URL', requestMessage(makeRequest('pending'), smallPlan, `https://${'h'.repeat(400)}.example.com`)],
  ['progress empty', progressMessage([])],
  ['progress', progressMessage(steps)],
  ['progress many steps', progressMessage(Array.from({ length: 200 }, (_, index) => ({ step: `step ${index} ${'s'.repeat(40)}`, status: 'done' as const })))],
  ['result ok', resultMessage(okResult)],
  ['result failed', resultMessage(failedResult)],
  ['status unreadable', statusMessage('demo', undefined, 'EspoCRM answered 503')],
  ['status with many changes', statusMessage('demo', manyChanges, undefined)],
  ['list empty', listMessage([])],
  [
    'list many',
    listMessage(
      Array.from({ length: 100 }, (_, index) => ({
        name: `instance-${index}`,
        url: `https://crm-${index}.example.com`,
        ssoEnabled: index % 3 === 0 ? undefined : index % 2 === 0,
        pending: { id: `id-${index}`, operation: 'setup' as const, state: 'pending' as const, requesterId: 'U0REQUESTER', permalink: `https://example.slack.com/archives/C0REQUESTS/p${index}` },
      })),
    ),
  ],
  ...fullPlanMessages(manyChanges).map((message, index): [string, SlackMessage] => [`full plan chunk ${index}`, message]),
];

describe('Block Kit limits', () => {
  test.each(messages)('%s', (_name, message) => {
    expect(problemsOf(message)).toEqual([]);
  });

  test('request buttons', () => {
    const message = requestMessage(makeRequest('pending'), smallPlan, INSTANCE_URL);
    const actions = message.blocks.find((block) => block.type === 'actions') as Extract<KnownBlock, { type: 'actions' }>;
    expect(actions.elements.map((element) => ('action_id' in element ? element.action_id : undefined))).toEqual([ACTION.approve, ACTION.reject]);
    for (const element of actions.elements) {
      expect('value' in element ? element.value : undefined).toBe(makeRequest('pending').id);
    }
  });

  test('decided request has no buttons', () => {
    for (const state of ['approved', 'rejected', 'expired', 'superseded', 'succeeded', 'failed'] as const) {
      const message = requestMessage(makeRequest(state), smallPlan, INSTANCE_URL);
      expect(message.blocks.some((block) => block.type === 'actions')).toBe(false);
    }
  });

  test('plan with errors has no buttons', () => {
    const plan = makePlan([change(1)], { errors: [{ code: 'plan_invalid', message: 'broken', fix: 'mend it' }] });
    expect(requestMessage(makeRequest('pending'), plan, INSTANCE_URL).blocks.some((block) => block.type === 'actions')).toBe(false);
  });

  test('setup modal', () => {
    const world = {
      authentik: { url: 'https://auth.example.com', tokenEnv: 'AUTHENTIK_TOKEN' },
      instances: Array.from({ length: 120 }, (_, index) => ({
        name: `instance-${String(index).padStart(3, '0')}-${'n'.repeat(27)}`,
        url: `https://crm-${index}.example.com`,
        username: 'sso-bot',
        passwordEnv: 'ESPO_PASSWORD',
        application: { slug: `espocrm-${index}`, name: `EspoCRM ${index}` },
        options: { teams: { Sales: 'sales', Support: 'support' } },
      })),
    };
    const config = parseConfig(world, { AUTHENTIK_TOKEN: 'token-for-views-test', ESPO_PASSWORD: 'password-for-views-test', SLACK_BOT_TOKEN: 'xoxb-views' });
    const view = setupModal(config.instances, 'C0REQUESTS');
    expect(validateModalView(view).map((problem) => `${problem.pointer}: ${problem.message}`)).toEqual([]);
    expect(view.private_metadata?.length).toBeLessThanOrEqual(3000);
  });
});

test('long list says what it left out', () => {
  const entries = Array.from({ length: 300 }, (_, index) => ({
    name: `instance-${index}`,
    url: `https://crm-${index}.example.com`,
    ssoEnabled: true,
    pending: undefined,
  }));
  const message = listMessage(entries);
  const shown = JSON.stringify(message.blocks);
  expect(problemsOf(message)).toEqual([]);
  expect(shown).toContain('*instance-0*');
  expect(shown).toMatch(/… and \d+ more; `\/espo-sso status &lt;instance&gt;` shows one instance\./);
  expect(message.text).toBe('300 instance(s)');
});

describe('long plans', () => {
  test.each([
    ['many changes', manyChanges],
    ['many small groups', manySmallGroups],
  ])('%s truncated with full plan', (_name, plan) => {
    const message = requestMessage(makeRequest('pending'), plan, INSTANCE_URL);
    expect(message.truncated).toBe(true);
    expect(JSON.stringify(message.blocks)).toContain("The full plan is in this message's thread");
    expect(message.blocks.some((block) => block.type === 'actions')).toBe(true);

    const full = fullPlanMessages(plan).map((chunk) => chunk.text).join('\n');
    for (const planned of plan.changes) expect(full).toContain(planned.field);
  });

  test('long group shown whole', () => {
    const message = requestMessage(makeRequest('pending'), oneLongGroup, INSTANCE_URL);
    expect(message.truncated).toBe(false);
    const shown = JSON.stringify(message.blocks);
    expect(shown).not.toContain(' …');
    for (const planned of oneLongGroup.changes) expect(shown).toContain(`${planned.field}:`);
  });

  test('short plan not truncated', () => {
    expect(requestMessage(makeRequest('pending'), smallPlan, INSTANCE_URL).truncated).toBe(false);
  });

  test('full plan keeps long lines', () => {
    const warning = `w${'x'.repeat(7000)}end`;
    const chunks = fullPlanMessages(makePlan([change(1)], { warnings: [warning] }));
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(chunks.map((chunk) => chunk.text).join('')).toContain(warning);
  });

  test('chunkText keeps every character', () => {
    const text = ['short', 'l'.repeat(6500), 'tail'].join('\n');
    const chunks = chunkText(text, 3000);
    expect(chunks.every((chunk) => chunk.length > 0 && chunk.length <= 3000)).toBe(true);
    expect(chunks.join('').replace(/\n/g, '')).toBe(text.replace(/\n/g, ''));
  });
});

describe('notifier on the fake Slack', () => {
  let slack: FakeSlack | undefined;

  afterEach(async () => {
    await slack?.stop();
    slack = undefined;
  });

  test('long plan posted in thread', async () => {
    slack = new FakeSlack({ botToken: 'xoxb-views-test' });
    await slack.start();
    const config = parseConfig(
      {
        authentik: { url: 'https://auth.example.com', tokenEnv: 'AUTHENTIK_TOKEN' },
        instances: [{ name: 'demo', url: INSTANCE_URL, username: 'sso-bot', passwordEnv: 'ESPO_PASSWORD', application: { slug: 'espocrm-demo', name: 'EspoCRM (demo)' } }],
      },
      { AUTHENTIK_TOKEN: 'token-for-views-test', ESPO_PASSWORD: 'password-for-views-test', SLACK_BOT_TOKEN: 'xoxb-views-test' },
    );
    const client = createSlackClient({ token: new Secret('xoxb-views-test'), apiUrl: slack.apiUrl });
    const notifier = new SlackNotifier(client, config, createLogger({ level: 'silent' }));

    const posted = await notifier.postApprovalRequest(makeRequest('planning'), manyChanges);

    const message = slack.message('C0REQUESTS', posted.ts);
    expect(message?.text).toContain('400 change(s)');
    expect(JSON.stringify(message?.blocks)).toContain(ACTION.approve);
    const replies = message?.replies ?? [];
    expect(replies.length).toBeGreaterThan(1);
    const threadText = replies.map((reply) => reply.text).join('\n');
    for (const planned of manyChanges.changes) expect(threadText).toContain(`${planned.field}:`);
    expect(posted.permalink).toContain(posted.ts.replace('.', ''));
  });
});
