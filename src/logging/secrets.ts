import { type Config } from '../config/load';
import { registerSecretValue } from './logger';

/** Registers every secret of the configuration with the log redactor. */
export function registerConfigSecrets(config: Config): void {
  registerSecretValue(config.authentik.token.reveal());
  for (const instance of config.instances) registerSecretValue(instance.password.reveal());
  for (const secret of [config.slack.botToken, config.slack.signingSecret, config.slack.appToken]) {
    if (secret) registerSecretValue(secret.reveal());
  }
}
