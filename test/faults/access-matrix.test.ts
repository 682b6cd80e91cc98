import { type DemoRedis, obtainRedis } from '../../demo/redis';
import { type RequestRecord } from '../../src/jobs/request-store';
import { type BotHandle } from '../../src/runtime/bot';
import { ACTION } from '../../src/slack/ids';
import { type FaultWorld, SANDBOX, SLACK_ACK_DEADLINE_MS, settle } from './harness';
import { WorldRegistry } from './scenario';

/**
 * Who gets what: four users (only a requester, only an approver, both, neither) against every
 * command and both buttons. The approver role of "both" comes from a Slack user group, so the
 * group lookup is part of the matrix. Each cell records the answer's kind, and whether a request
 * or a job was created, and the whole table is compared at once.
 */

jest.setTimeout(120_000);

const USERS = {
  requester: SANDBOX.requesterId,
  approver: SANDBOX.approverId,
  // A requester by id, and an approver through the user group S0APPROVERS.
  both: SANDBOX.groupApproverId,
  neither: SANDBOX.outsiderId,
} as const;
type Role = keyof typeof USERS;
const ROLES = Object.keys(USERS) as Role[];

const COMMANDS = ['help', 'list', 'setup', 'status', 'rotate', 'disable'] as const;
type Command = (typeof COMMANDS)[number];

/** One instance per role and changing command, so that every accepted request has an instance of its own. */
const CHANGING = ['setup', 'rotate', 'disable'] as const;
const commandInstances = ROLES.flatMap((role) => CHANGING.map((command) => `${role}-${command}`));
const buttonInstances = ['btn-refused', 'btn-approver-approve', 'btn-approver-reject', 'btn-both-approve', 'btn-both-reject', 'btn-self'];

let redis: DemoRedis;
const registry = new WorldRegistry();
let world: FaultWorld;
let bot: BotHandle;

beforeAll(async () => {
  redis = await obtainRedis(process.env);
  world = await registry.start({
    redisUrl: redis.url,
    instances: ['demo', ...commandInstances, ...buttonInstances],
    access: { requesters: [SANDBOX.requesterId, SANDBOX.groupApproverId] },
  });
  bot = await world.startBot('serve');
});

afterAll(async () => {
  await registry.stopAll();
  await redis.stop();
});

/** Names the kind of an acknowledgement text. */
function classify(text: string): string {
  if (/rolls out authentik single sign-on/.test(text)) return 'help';
  if (/^Reading the/.test(text)) return 'reading';
  if (/^:hourglass_flowing_sand: Planning/.test(text)) return 'planning';
  if (/Only requesters and approvers/.test(text)) return 'refused: not a requester or approver';
  if (/You may not request changes/.test(text)) return 'refused: not a requester';
  return `unexpected: ${text.slice(0, 80)}`;
}

function instanceFor(role: Role, command: Command): string {
  return (CHANGING as readonly string[]).includes(command) ? `${role}-${command}` : 'demo';
}

describe('access matrix', () => {
  test('commands by role', async () => {
    const actual: Record<string, Record<string, string>> = {};
    for (const role of ROLES) {
      actual[role] = {};
      for (const command of COMMANDS) {
        const instance = instanceFor(role, command);
        const text = command === 'help' || command === 'list' ? command : `${command} ${instance}`;
        const before = await world.queuedWork();
        const answer = await world.command(bot.url, text, USERS[role]);
        await settle(50);
        const after = await world.queuedWork();
        const queued = after.requests - before.requests + (totalJobs(after.jobs) - totalJobs(before.jobs));
        const late = answer.ms >= SLACK_ACK_DEADLINE_MS ? ` (late: ${answer.ms} ms)` : '';
        actual[role][command] = `${answer.response.status} ${classify(answer.text)}${queued > 0 ? ' +queued' : ''}${late}`;
      }
    }

    expect(actual).toEqual({
      requester: {
        help: '200 help',
        list: '200 reading +queued',
        setup: '200 planning +queued',
        status: '200 reading +queued',
        rotate: '200 planning +queued',
        disable: '200 planning +queued',
      },
      approver: {
        help: '200 help',
        list: '200 reading +queued',
        setup: '200 refused: not a requester',
        status: '200 reading +queued',
        rotate: '200 refused: not a requester',
        disable: '200 refused: not a requester',
      },
      both: {
        help: '200 help',
        list: '200 reading +queued',
        setup: '200 planning +queued',
        status: '200 reading +queued',
        rotate: '200 planning +queued',
        disable: '200 planning +queued',
      },
      neither: {
        help: '200 help',
        list: '200 refused: not a requester or approver',
        setup: '200 refused: not a requester',
        status: '200 refused: not a requester or approver',
        rotate: '200 refused: not a requester',
        disable: '200 refused: not a requester',
      },
    });
  });

  test('refused commands created no request', async () => {
    for (const role of ['approver', 'neither'] as const) {
      for (const command of CHANGING) expect(await world.holder(`${role}-${command}`)).toBeUndefined();
    }
  });

  test('status and list reach only allowed users', async () => {
    // The worker responds to accepted status and list commands with an ephemeral message to the user.
    await settle(1000);
    const readers = new Set(world.slack.ephemerals().map((message) => message.user));
    expect(readers.has(USERS.requester)).toBe(true);
    expect(readers.has(USERS.approver)).toBe(true);
    expect(readers.has(USERS.both)).toBe(true);
    expect(readers.has(USERS.neither)).toBe(false);
  });

  test('buttons by role', async () => {
    const pending = async (instance: string, requester: string = USERS.requester): Promise<RequestRecord> =>
      world.requestPending(bot.url, 'setup', instance, requester);
    /** Clicks and returns what the clicker saw: the refusal text, or the state the request moved to. */
    const clickAs = async (request: RequestRecord, action: 'approve' | 'reject', role: Role): Promise<string> => {
      const click = await world.click(bot.url, request, action === 'approve' ? ACTION.approve : ACTION.reject, USERS[role]);
      if (click.response.status !== 200) return `HTTP ${click.response.status}`;
      await settle(300);
      const refusal = world.responseTexts(click.responseUrlId)[0];
      if (refusal !== undefined) {
        if (/Only approvers may decide/.test(refusal)) return 'refused: not an approver';
        if (/cannot approve your own request/.test(refusal)) return 'refused: own request';
        return `refused: ${refusal.slice(0, 80)}`;
      }
      const state = (await world.store.get(request.id))?.state ?? 'missing';
      return state === 'rejected' ? 'rejected' : ['approved', 'applying', 'succeeded'].includes(state) ? 'approved' : `state ${state}`;
    };

    const refusedTarget = await pending('btn-refused');
    const actual: Record<string, Record<string, string>> = {
      requester: { approve: await clickAs(refusedTarget, 'approve', 'requester'), reject: await clickAs(refusedTarget, 'reject', 'requester') },
      neither: { approve: await clickAs(refusedTarget, 'approve', 'neither'), reject: await clickAs(refusedTarget, 'reject', 'neither') },
      approver: {
        approve: await clickAs(await pending('btn-approver-approve'), 'approve', 'approver'),
        reject: await clickAs(await pending('btn-approver-reject'), 'reject', 'approver'),
      },
      both: {
        approve: await clickAs(await pending('btn-both-approve'), 'approve', 'both'),
        reject: await clickAs(await pending('btn-both-reject'), 'reject', 'both'),
      },
    };
    const own = await pending('btn-self', USERS.both);
    actual['both, own request'] = { approve: await clickAs(own, 'approve', 'both'), reject: await clickAs(own, 'reject', 'both') };

    expect(actual).toEqual({
      requester: { approve: 'refused: not an approver', reject: 'refused: not an approver' },
      neither: { approve: 'refused: not an approver', reject: 'refused: not an approver' },
      approver: { approve: 'approved', reject: 'rejected' },
      both: { approve: 'approved', reject: 'rejected' },
      'both, own request': { approve: 'refused: own request', reject: 'rejected' },
    });
    expect((await world.store.get(refusedTarget.id))?.state).toBe('pending');
  });

  test('refused clicks are in the audit channel', async () => {
    const audit = world.slack.messages(SANDBOX.auditChannelId).map((message) => message.text);
    expect(audit.filter((text) => /refused/.test(text)).length).toBeGreaterThanOrEqual(5);
  });
});

function totalJobs(jobs: Record<string, number>): number {
  return Object.values(jobs).reduce((sum, count) => sum + count, 0);
}

test('every CRM uses a client authentik holds', async () => {
  expect(registry.invariantViolations()).toEqual([]);
});

test('no secret in Slack, logs or Redis', async () => {
  expect(await registry.leaks()).toEqual([]);
});
