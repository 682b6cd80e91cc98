import { keys } from '../../src/jobs/names';
import { ACTION } from '../../src/slack/ids';
import { SANDBOX } from '../../sandbox/world';
import { type Harness, actionsBlock, shownText, startHarness, waitFor } from '../bot-harness';

/**
 * The state changes between approval and apply: the worker posts a fresh plan for approval
 * instead of applying the approved one.
 */

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function requestIdOf(message: { blocks?: Array<Record<string, unknown>> } | undefined): string {
  return String(message?.blocks?.find((block) => block.type === 'actions')?.block_id).replace(/^decision:/, '');
}

test.each([
  ['EspoCRM settings', (h: Harness) => h.world.instances[0]?.espocrm.setSettings({ oidcClientId: 'set-by-hand' })],
  ['authentik provider', (h: Harness) => h.world.authentik.addProvider({ name: 'EspoCRM (demo)' })],
])('drift in %s replans', async (_name, change) => {
  harness = await startHarness();
  const h = harness;
  const web = await h.startBot('web');
  const planner = await h.startBot('worker');

  expect((await h.command(web, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  const approvedId = requestIdOf(request);
  await h.stopBot(planner);

  // Approved while no worker runs, then changed before a worker picks up the apply.
  const { response } = await h.click(web, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: request.ts });
  expect(response.status).toBe(200);
  await waitFor('the approved request message', () =>
    shownText(h.world.slack.message(SANDBOX.channelId, request.ts)).includes('Approved by') ? true : undefined,
  );
  change(h);
  const providersBefore = h.world.authentik.providers();
  const settingsBefore = h.world.instances[0]?.espocrm.settings;
  await h.startBot('worker');

  const fresh = await h.waitForRequestMessage(2);
  const freshId = requestIdOf(fresh);
  expect(freshId).not.toBe(approvedId);
  expect(actionsBlock(fresh)).toBeDefined();

  // Nothing was applied, and the old request's thread points at the fresh plan.
  expect(h.world.authentik.server.requestsTo('POST', /^\/api\/v3\/(providers|core)\//)).toEqual([]);
  expect(h.world.instances[0]?.espocrm.server.requestsTo('PUT', '/api/v1/Settings')).toEqual([]);
  expect(h.world.authentik.providers()).toEqual(providersBefore);
  expect(h.world.instances[0]?.espocrm.settings).toEqual(settingsBefore);
  const driftReply = await waitFor('the drift reply', () =>
    h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => reply.text.includes('changed after this plan was approved')),
  );
  expect(driftReply.text).toContain(`request ${freshId.slice(0, 8)}`);
  const old = h.world.slack.message(SANDBOX.channelId, request.ts);
  expect(actionsBlock(old)).toBeUndefined();
  expect(shownText(old)).toContain(`Not applied: authentik, EspoCRM or the configuration changed after the approval. Request ${freshId.slice(0, 8)} has the fresh plan.`);
  expect(await h.redis.hget(keys.request(h.prefix, approvedId), 'state')).toBe('"superseded"');
  expect(await h.redis.get(keys.instanceLock(h.prefix, 'demo'))).toBe(freshId);

  // The fresh plan can be approved and applied.
  const approved = await h.click(web, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: fresh.ts });
  expect(approved.response.status).toBe(200);
  const result = await waitFor('the result reply', () =>
    h.world.slack.message(SANDBOX.channelId, fresh.ts)?.replies.find((reply) => /: done$|: failed$/.test(reply.text)),
  );
  expect(result.text).toBe('setup demo: done');
  const provider = h.world.authentik.providers().at(-1);
  expect(h.world.instances[0]?.espocrm.settings.oidcClientId).toBe(provider?.client_id);
});
