import { type Env, ConfigError, loadConfig } from '../../config';
import { toEspoSsoError } from '../../errors';
import { createLogger } from '../../logging/logger';
import { registerConfigSecrets } from '../../logging/secrets';
import { type Role, startBot } from '../../runtime/bot';
import { type CliOutput, EXIT } from '../output';

/**
 * `espo-sso serve|web|worker`: runs until SIGTERM or SIGINT, then shuts down gracefully.
 * Resolves with exit code 0 after a clean shutdown, 1 when a shutdown deadline was hit.
 */
export async function runServe(env: Env, output: CliOutput, role: Role): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      output.err(error.message);
      return EXIT.failure;
    }
    throw error;
  }
  registerConfigSecrets(config);
  const logger = createLogger({ level: config.env.logLevel, base: { role } });
  for (const warning of config.warnings) logger.warn({ warning }, 'configuration warning');

  let bot;
  try {
    bot = await startBot({ config, role, logger });
  } catch (error) {
    const wrapped = toEspoSsoError(error);
    output.err(`espo-sso ${role} could not start: ${wrapped.describe()}`);
    logger.flush();
    return EXIT.failure;
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
      handle.stop().then(
        ({ timedOut }) => {
          logger.flush();
          resolve(timedOut ? EXIT.failure : EXIT.ok);
        },
        (error: unknown) => {
          logger.error({ err: { message: toEspoSsoError(error).message } }, 'shutdown failed');
          logger.flush();
          resolve(EXIT.failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
