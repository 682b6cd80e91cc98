import { accessSchema } from '../../src/config/schema';
import { Secret } from '../../src/config/secret';
import { EspoSsoError } from '../../src/errors';
import { AccessControl } from '../../src/slack/access';
import { createSlackClient } from '../../src/slack/web-client';
import { FakeSlack } from '../../sandbox/slack';

/** Requesters and approvers by user id and by user group, with the group cache. */

const TOKEN = 'xoxb-access-test';
let slack: FakeSlack;
let clock: number;

beforeEach(async () => {
  slack = new FakeSlack({
    botToken: TOKEN,
    userGroups: [
      { id: 'S0APPROVERS', handle: 'sso-approvers', users: ['U0GROUPED'] },
      { id: 'S0OTHERS', handle: 'others', users: ['U0OTHER'] },
    ],
  });
  await slack.start();
  clock = 1_000_000;
});

afterEach(async () => {
  await slack.stop();
});

function accessControl(overrides: Record<string, unknown> = {}): AccessControl {
  const access = accessSchema.parse({ requesters: ['U0REQUESTER', 'S0OTHERS'], approvers: ['U0APPROVER', 'S0APPROVERS'], ...overrides });
  return new AccessControl(access, createSlackClient({ token: new Secret(TOKEN), apiUrl: slack.apiUrl }), () => clock);
}

function groupLookups(): number {
  return slack.callsTo('usergroups.users.list').length;
}

test('user ids need no lookup', async () => {
  const access = accessControl();
  expect(await access.isApprover('U0APPROVER')).toBe(true);
  expect(await access.isRequester('U0REQUESTER')).toBe(true);
  expect(groupLookups()).toBe(0);
});

test('group members resolved', async () => {
  const access = accessControl();
  expect(await access.isApprover('U0GROUPED')).toBe(true);
  expect(await access.isApprover('U0OTHER')).toBe(false);
  expect(await access.isRequester('U0OTHER')).toBe(true);
  expect(await access.isRequester('U0GROUPED')).toBe(false);
  expect(slack.callsTo('usergroups.users.list').map((call) => call.args.usergroup).sort()).toEqual(['S0APPROVERS', 'S0OTHERS']);
});

test('group cache reused until expiry', async () => {
  const access = accessControl({ groupCacheSeconds: 60 });
  expect(await access.isApprover('U0GROUPED')).toBe(true);
  expect(groupLookups()).toBe(1);

  // A member removed in Slack keeps access while the cached list is fresh.
  slack.setUserGroup({ id: 'S0APPROVERS', handle: 'sso-approvers', users: ['U0NEWCOMER'] });
  clock += 59_000;
  expect(await access.isApprover('U0GROUPED')).toBe(true);
  expect(await access.isApprover('U0NEWCOMER')).toBe(false);
  expect(groupLookups()).toBe(1);

  // After groupCacheSeconds the list is read again.
  clock += 2_000;
  expect(await access.isApprover('U0GROUPED')).toBe(false);
  expect(await access.isApprover('U0NEWCOMER')).toBe(true);
  expect(groupLookups()).toBe(2);
});

test('cache of zero seconds always reads', async () => {
  const access = accessControl({ groupCacheSeconds: 0 });
  await access.isApprover('U0GROUPED');
  await access.isApprover('U0GROUPED');
  expect(groupLookups()).toBe(2);
});

test('self-approval setting exposed', () => {
  expect(accessControl().allowSelfApproval).toBe(false);
  expect(accessControl({ allowSelfApproval: true }).allowSelfApproval).toBe(true);
});

test('failed group lookup raises', async () => {
  const access = accessControl({ approvers: ['S0MISSING'] });
  await expect(access.isApprover('U0GROUPED')).rejects.toBeInstanceOf(EspoSsoError);
  await expect(access.isApprover('U0GROUPED')).rejects.toMatchObject({ message: 'Slack returned the error no_such_subteam.' });
});
