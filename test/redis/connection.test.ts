import { randomUUID } from 'node:crypto';

import { Queue, Worker } from 'bullmq';

import { closeRedis, createRedisConnection } from '../../src/redis/connection';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('createRedisConnection', () => {
  test('producer and worker connections carry a job', async () => {
    const prefix = `test-${randomUUID()}`;
    const producer = createRedisConnection(REDIS_URL, 'producer');
    const workerConnection = createRedisConnection(REDIS_URL, 'worker');
    expect(workerConnection.options.maxRetriesPerRequest).toBeNull();
    expect(producer.options.enableOfflineQueue).toBe(false);
    await new Promise<void>((resolve) => producer.once('ready', () => resolve()));

    const queue = new Queue('probe', { connection: producer, prefix });
    const seen: unknown[] = [];
    const done = new Promise<void>((resolve) => {
      const worker = new Worker(
        'probe',
        async (job) => {
          seen.push(job.data);
        },
        { connection: workerConnection, prefix },
      );
      worker.on('completed', () => {
        void worker.close().then(() => resolve());
      });
    });
    await queue.add('ping', { id: 'r-1' });
    await done;
    expect(seen).toEqual([{ id: 'r-1' }]);

    await queue.obliterate({ force: true });
    await queue.close();
    await closeRedis(producer);
    await closeRedis(workerConnection);
    expect(producer.status).toBe('end');
  });

  test('producer fails fast when Redis is unreachable', async () => {
    const producer = createRedisConnection('redis://127.0.0.1:1', 'producer');
    producer.on('error', () => undefined);
    await expect(producer.ping()).rejects.toThrow();
    await closeRedis(producer, 200);
  });
});
