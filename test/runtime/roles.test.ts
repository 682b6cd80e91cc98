import { Redis } from 'ioredis';

import { SANDBOX, type SandboxWorld, startSandbox } from '../../sandbox/world';
import {
  BotProcess,
  SHARED_REDIS_URL,
  approve,
  deleteKeys,
  freePort,
  requestMessageFor,
  resultReply,
  sendCommand,
  uniquePrefix,
  waitFor,
  writeConfigFile,
} from './helpers';

/**
 * One `web` process and two `worker` processes, started with `node bin/espo-sso.js` as an operator
 * would, share one queue. Several setups are requested and approved at once; each must be
 * planned and applied exactly once, by whichever worker takes the job.
 */

const INSTANCES = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
const PROVIDERS_PATH = /^\/api\/v3\/providers\/oauth2\/$/;
const SETTINGS_PATH = '/api/v1/Settings';

jest.setTimeout(120_000);

describe('web and worker roles', () => {
  let world: SandboxWorld;
  let config: ReturnType<typeof writeConfigFile>;
  let redis: Redis;
  const prefix = uniquePrefix('roles');
  const bots: BotProcess[] = [];

  /** Ids of the jobs in BullMQ's completed set (the queue is named "requests"). */
  const completedJobs = (): Promise<string[]> => redis.zrange(`${prefix}:requests:completed`, 0, -1);

  beforeAll(async () => {
    redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
    // One job at a time per worker, so that the second worker takes jobs while the first is busy.
    world = await startSandbox({ instances: INSTANCES, redisUrl: SHARED_REDIS_URL, queuePrefix: prefix, worker: { concurrency: 1 } });
    config = writeConfigFile(world);
    const [webPort, firstWorkerPort, secondWorkerPort] = [await freePort(), await freePort(), await freePort()];
    bots.push(
      new BotProcess('web', webPort, config.env),
      new BotProcess('worker', firstWorkerPort, config.env),
      new BotProcess('worker', secondWorkerPort, config.env),
    );
    await Promise.all(bots.map((bot) => bot.waitUntilReady()));
  });

  afterAll(async () => {
    await Promise.all(bots.map((bot) => bot.kill()));
    await world?.stop();
    config?.remove();
    await deleteKeys(SHARED_REDIS_URL, prefix);
    redis?.disconnect();
  });

  test('every job runs exactly once', async () => {
    const [web] = bots;
    if (!web) throw new Error('the web process did not start');

    const acknowledgements = await Promise.all(INSTANCES.map((instance) => sendCommand(web.url, `setup ${instance}`)));
    for (const acknowledgement of acknowledgements) expect(acknowledgement.status).toBe(200);

    const requests = await Promise.all(
      INSTANCES.map((instance) => waitFor(`the request message for ${instance}`, () => requestMessageFor(world, instance), 60_000)),
    );
    const clicks = await Promise.all(requests.map((message) => approve(web.url, world, message)));
    for (const click of clicks) expect(click.status).toBe(200);

    const results = await Promise.all(requests.map((message) => waitFor('the result reply', () => resultReply(world, message), 60_000)));
    expect(results.map((result) => result.text)).toEqual(INSTANCES.map((instance) => `setup ${instance}: done`));
    // A job reaches the completed set just after it posted its result; count calls after that.
    await waitFor('every plan and apply job to complete', async () => ((await completedJobs()).length >= INSTANCES.length * 2 ? true : undefined));

    // Each instance's application has exactly one provider, created by one POST that succeeded.
    const providerPosts = world.authentik.server.requestsTo('POST', PROVIDERS_PATH);
    expect(providerPosts).toHaveLength(INSTANCES.length);
    for (const post of providerPosts) expect(post.status).toBe(201);
    expect(world.authentik.providers()).toHaveLength(INSTANCES.length);
    expect(world.authentik.applications().map((application) => application.slug).sort()).toEqual(INSTANCES.map((name) => `espocrm-${name}`));

    for (const instance of world.instances) {
      const puts = instance.espocrm.server.requestsTo('PUT', SETTINGS_PATH);
      expect({ instance: instance.name, puts: puts.map((put) => put.status) }).toEqual({ instance: instance.name, puts: [200] });
      expect(instance.espocrm.settings.authenticationMethod).toBe('Oidc');
    }

    // One request message per instance reached Slack.
    for (const instance of INSTANCES) {
      const messages = world.slack.messages(SANDBOX.channelId).filter((message) => message.text.includes(` for ${instance}, `));
      expect({ instance, messages: messages.length }).toEqual({ instance, messages: 1 });
    }
    for (const bot of bots) expect(bot.running).toBe(true);
  });

  test('both workers took jobs', async () => {
    // BullMQ stores the name of the worker that ran a job (host:pid) in the job's hash as `pb`.
    const processedBy = new Set<string>();
    for (const id of await completedJobs()) {
      const hash = await redis.hgetall(`${prefix}:requests:${id}`);
      if (hash.pb) processedBy.add(hash.pb);
    }

    expect(processedBy.size).toBe(2);
  });
});
