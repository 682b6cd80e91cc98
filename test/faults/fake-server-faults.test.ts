import { FakeServer } from '../../sandbox/common/fake-server';
import { timed } from './wait';

/** The fault-injection conveniences the fault suite relies on: `when`, `failAlways`, `slowDown` and `respondAfterMs`. */

let server: FakeServer;
let handled: string[];

beforeEach(async () => {
  server = new FakeServer({ name: 'probe' });
  handled = [];
  server.route('POST', '/items', (request) => {
    handled.push(request.rawBody);
    return { status: 201, body: { stored: request.rawBody } };
  });
  await server.start();
});

afterEach(async () => {
  await server.stop();
});

function post(body: string): Promise<number> {
  return fetch(`${server.url}/items`, { method: 'POST', body }).then((response) => response.status);
}

test('when limits a rule to matching bodies', async () => {
  server.injectFault({ path: '/items', sequence: [503], when: (request) => request.rawBody.includes('target') });

  expect(await post('other')).toBe(201);
  expect(await post('target')).toBe(503);
  expect(await post('target')).toBe(201);
  expect(handled).toEqual(['other', 'target']);
});

test('failAlways lasts until clearFaults', async () => {
  server.failAlways({ method: 'POST', path: '/items' }, 502);

  expect([await post('a'), await post('b')]).toEqual([502, 502]);
  server.clearFaults();
  expect(await post('c')).toBe(201);
});

test('slowDown delays every answer', async () => {
  server.slowDown({ path: '/items' }, 200);

  const { ms, value } = await timed(post('slow'));
  expect(value).toBe(201);
  expect(ms).toBeGreaterThanOrEqual(190);
});

test('respondAfterMs stores before it answers', async () => {
  server.injectFault({ path: '/items', sequence: [{ respondAfterMs: 300 }] });

  const answer = timed(post('late'));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(handled).toEqual(['late']);
  const { ms, value } = await answer;
  expect(value).toBe(201);
  expect(ms).toBeGreaterThanOrEqual(290);
  expect(server.requests[0]?.status).toBe(201);
});
