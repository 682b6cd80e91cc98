import { Redis, type RedisOptions } from 'ioredis';

/**
 * How a connection is used. BullMQ needs `maxRetriesPerRequest: null` on connections that
 * block (workers), while code that answers a Slack request must fail fast when Redis is down
 * instead of queueing commands until Slack's 3-second deadline has passed.
 */
export type RedisRole = 'worker' | 'producer';

export interface RedisConnectionOptions {
  /** Name shown by `CLIENT LIST`, e.g. "espo-sso:web". */
  connectionName?: string;
  /** For producers: how long a command may wait for a connection, in milliseconds. */
  commandTimeoutMs?: number;
}

/** Creates an ioredis connection with the options its role needs. */
export function createRedisConnection(url: string, role: RedisRole, options: RedisConnectionOptions = {}): Redis {
  const common: RedisOptions = {
    connectionName: options.connectionName,
    lazyConnect: false,
    // Reconnect forever with a capped backoff: the process should recover when Redis returns.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  const roleOptions: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          connectTimeout: 2000,
          commandTimeout: options.commandTimeoutMs ?? 1500,
        };
  return new Redis(url, { ...common, ...roleOptions });
}

/** Closes a connection, falling back to `disconnect()` when QUIT does not end it within `timeoutMs`. */
export async function closeRedis(connection: Redis, timeoutMs = 1000): Promise<void> {
  if (connection.status === 'end') return;
  const ended = new Promise<void>((resolve) => connection.once('end', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    connection.quit().catch(() => connection.disconnect());
    const result = await Promise.race([ended, timeout]);
    if (result === 'timeout') {
      connection.disconnect();
    }
  } finally {
    clearTimeout(timer);
  }
}
