import { keys } from '../../src/jobs/names';
import { type Notifier } from '../../src/jobs/notifier';
import { Secret } from '../../src/config/secret';
import { EspoSsoError } from '../../src/errors';
import { ACTION } from '../../src/slack/ids';
import { SlackNotifier } from '../../src/slack/notifier';
import { createSlackClient } from '../../src/slack/web-client';
import { SANDBOX } from '../../sandbox/world';
import { type Harness, startHarness, waitFor } from '../bot-harness';

/** A result reply that Slack did not take at first is posted by the job's next attempt. */

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** Creates a Slack notifier whose first `postResult` fails as a rate-limited call would. */
function flakyResultNotifier(h: Harness): { notifier: Notifier; failures: () => number } {
  const client = createSlackClient({ token: new Secret(SANDBOX.botToken), apiUrl: h.config.slack.apiUrl });
  const real = new SlackNotifier(client, h.config, h.logger);
  let failures = 0;
  const notifier: Notifier = {
    postApprovalRequest: (request, plan) => real.postApprovalRequest(request, plan),
    updateRequestMessage: (request) => real.updateRequestMessage(request),
    showProgress: (request, steps, progressTs) => real.showProgress(request, steps, progressTs),
    postResult: async (request, result) => {
      if (failures === 0) {
        failures += 1;
        throw new EspoSsoError('upstream_unavailable', 'Slack rate-limited the bot (retry after 30 s).', { system: 'slack', status: 429, retryable: true });
      }
      await real.postResult(request, result);
    },
    postPlanFailure: (request, message) => real.postPlanFailure(request, message),
    postDrift: (request, fresh) => real.postDrift(request, fresh),
    postStatus: (target, instance, plan, error) => real.postStatus(target, instance, plan, error),
    postList: (target, entries) => real.postList(target, entries),
    audit: (event) => real.audit(event),
  };
  return { notifier, failures: () => failures };
}

test('result posted after failed attempt', async () => {
  harness = await startHarness({ worker: { attempts: 3 } });
  const h = harness;
  const web = await h.startBot('web');
  const flaky = flakyResultNotifier(h);
  await h.startBot('worker', { notifier: flaky.notifier });

  expect((await h.command(web, 'setup demo')).status).toBe(200);
  const request = await h.waitForRequestMessage();
  const { response } = await h.click(web, { userId: SANDBOX.approverId, actionId: ACTION.approve, messageTs: request.ts });
  expect(response.status).toBe(200);

  const result = await waitFor('the result reply', () =>
    h.world.slack.message(SANDBOX.channelId, request.ts)?.replies.find((reply) => /: done$|: failed$/.test(reply.text)),
  );
  expect(result.text).toBe('setup demo: done');
  expect(flaky.failures()).toBe(1);

  // The second attempt only posted the result; it did not apply again.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(h.world.authentik.server.requestsTo('POST', /^\/api\/v3\/providers\/oauth2\/$/)).toHaveLength(1);
  expect(h.world.instances[0]?.espocrm.server.requestsTo('PUT', '/api/v1/Settings')).toHaveLength(1);
  const replies = h.world.slack.message(SANDBOX.channelId, request.ts)?.replies ?? [];
  expect(replies.filter((reply) => reply.text === 'setup demo: done')).toHaveLength(1);
  const requestId = String(request.blocks?.find((block) => block.type === 'actions')?.block_id).replace(/^decision:/, '');
  expect(await h.redis.hget(keys.request(h.prefix, requestId), 'state')).toBe('"succeeded"');
});
