import { type Env } from '../../config';
import { toEspoSsoError } from '../../errors';
import { createLogger } from '../../logging/logger';
import { type Role, startBot } from '../../runtime/bot';
import { loadCommandConfig } from '../load-config';
import { type CliOutput, EXIT } from '../output';

/**
 * How long the process may take to exit on its own after shutdown. Past it, `process.exit` ends
 * work that is still running: a job abandoned at the deadline, or a socket a library left open.
 */
const EXIT_GRACE_MS = 1000;

/**
 * `espo-sso serve|web|worker`: runs until SIGTERM or SIGINT, then shuts down gracefully.
 * Resolves with exit code 0 after a clean shutdown, 1 when a shutdown deadline was hit. A second
 * signal exits at once with code 1.
 */
export async function runServe(env: Env, output: CliOutput, role: Role): Promise<number> {
  const config = loadCommandConfig(env, output);
  if (!config) return EXIT.failure;
  const logger = createLogger({ level: config.env.logLevel, base: { role } });
  // Bolt 5.1 reads a signed but malformed body (payload=null) inside a promise nobody awaits;
  // Node would end the process on that rejection. Log it and keep serving.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: { message: reason instanceof Error ? reason.message : String(reason) } }, 'unhandled promise rejection');
  });
  for (const warning of config.warnings) logger.warn({ warning }, 'configuration warning');

  // A signal during start-up is kept and acted on once the bot runs, instead of killing the
  // process halfway through opening its connections.
  let earlySignal: NodeJS.Signals | undefined;
  const onEarlySignal = (signal: NodeJS.Signals): void => {
    earlySignal ??= signal;
  };
  process.on('SIGTERM', onEarlySignal);
  process.on('SIGINT', onEarlySignal);

  let bot;
  try {
    bot = await startBot({ config, role, logger });
  } catch (error) {
    const wrapped = toEspoSsoError(error);
    output.err(`espo-sso ${role} could not start: ${wrapped.describe()}`);
    logger.flush();
    setTimeout(() => process.exit(EXIT.failure), EXIT_GRACE_MS).unref();
    return EXIT.failure;
  } finally {
    process.off('SIGTERM', onEarlySignal);
    process.off('SIGINT', onEarlySignal);
  }

  const handle = bot;
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        logger.flush();
        process.exit(EXIT.failure);
      }
      logger.info({ signal }, 'shutdown requested');
      const finish = (code: number): void => {
        logger.flush();
        // unref() keeps this timer from holding the process open when nothing else does.
        setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
        resolve(code);
      };
      handle.stop().then(
        ({ timedOut }) => finish(timedOut ? EXIT.failure : EXIT.ok),
        (error: unknown) => {
          logger.error({ err: { message: toEspoSsoError(error).message } }, 'shutdown failed');
          finish(EXIT.failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (earlySignal) onSignal(earlySignal);
  });
}
