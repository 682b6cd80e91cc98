import { type Config, type Env, ConfigError, loadConfig } from '../config';
import { registerConfigSecrets } from '../logging/secrets';
import { type CliOutput } from './output';

/**
 * Loads the configuration for a command and registers its secrets with the log redactor.
 * An invalid configuration is printed to standard error and gives undefined.
 */
export function loadCommandConfig(env: Env, output: CliOutput): Config | undefined {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      output.err(error.message);
      return undefined;
    }
    throw error;
  }
  registerConfigSecrets(config);
  return config;
}
