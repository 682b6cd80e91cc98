import { type Config, type Env, ConfigError, describeSource, formatIssue, loadConfig } from '../../config';
import { type CliOutput, EXIT } from '../output';

/** Formats the configuration for people, with every secret masked. */
export function summarizeConfig(config: Config): string[] {
  const { authentik, access, slack, env } = config;
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`  ${label.padEnd(16)}${value}`);
  };

  lines.push(`Configuration ${config.source} is valid.`, '', 'authentik');
  row('url', authentik.url);
  row('apiUrl', authentik.apiUrl === authentik.url ? '(same as url)' : authentik.apiUrl);
  row('token', `${describeSource(authentik.tokenSource)}: ${authentik.token.masked()}`);
  row('flows', `${authentik.authorizationFlow}, ${authentik.invalidationFlow}`);
  row('signing key', authentik.signingKey ?? '(any RSA keypair with a private key)');
  row('scopes', authentik.scopes.join(', '));
  row('subject mode', authentik.subjectMode);

  lines.push('', 'access');
  row('requesters', access.requesters.join(', ') || '(none)');
  row('approvers', access.approvers.join(', ') || '(none)');
  row('self-approval', access.allowSelfApproval ? 'allowed' : 'not allowed');
  row('approval TTL', `${access.approvalTtlMinutes} minutes`);
  row('audit channel', access.auditChannel ?? '(none)');

  lines.push('', `instances (${config.instances.length})`);
  for (const instance of config.instances) {
    const options = instance.options;
    lines.push(`  ${instance.name}`);
    row('  url', instance.url);
    row('  admin user', instance.username);
    row('  password', `${describeSource(instance.passwordSource)}: ${instance.password.masked()}`);
    row('  application', `${instance.application.slug} (${instance.application.name})`);
    row(
      '  options',
      [
        `fallbackLogin=${options.fallbackLogin}`,
        `allowAdminOidcLogin=${options.allowAdminOidcLogin}`,
        `createUsers=${options.createUsers}`,
        `syncUserData=${options.syncUserData}`,
      ].join(' '),
    );
    const teams = Object.entries(options.teams);
    if (teams.length > 0) row('  teams', teams.map(([team, group]) => `${team} <- ${group}`).join(', '));
  }

  lines.push('', 'slack');
  row('mode', slack.appToken ? 'Socket Mode (SLACK_APP_TOKEN is set)' : `HTTP, POST /slack/events on ${env.host ?? 'every interface'}, port ${env.port}`);
  row('bot token', slack.botToken ? slack.botToken.masked() : 'not set (SLACK_BOT_TOKEN; needed by serve, web and worker)');
  if (!slack.appToken) {
    row(
      'signing secret',
      slack.signingSecret ? slack.signingSecret.masked() : 'not set (SLACK_SIGNING_SECRET; needed by serve and web)',
    );
  }
  row('Web API', slack.apiUrl ?? "Slack's default");

  lines.push('', 'redis');
  row('url', maskRedisUrl(env.redisUrl));
  row('key prefix', env.queuePrefix);

  if (config.warnings.length > 0) {
    lines.push('', 'warnings');
    for (const warning of config.warnings) lines.push(`  - ${warning}`);
  }
  return lines;
}

/** Hides the password part of a Redis URL. */
export function maskRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/, (_match, scheme: string, auth: string) =>
    `${scheme}${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`,
  );
}

/** `espo-sso check-config [--json]`: validates the configuration and prints a masked summary. */
export function runCheckConfig(env: Env, output: CliOutput, json: boolean): number {
  try {
    const config = loadConfig(env);
    if (json) {
      // Secret objects serialise as "[redacted]".
      output.out(JSON.stringify({ valid: true, config }, null, 2));
    } else {
      for (const line of summarizeConfig(config)) output.out(line);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) {
      if (json) output.out(JSON.stringify({ valid: false, issues: error.issues.map(formatIssue) }, null, 2));
      else output.err(error.message);
      return EXIT.failure;
    }
    throw error;
  }
}
