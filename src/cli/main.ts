import { parseArgs } from 'node:util';

import { type Env } from '../config';
import { runCheckConfig } from './commands/check-config';
import { runProvisionCommand } from './commands/provision';
import { runServe } from './commands/serve';
import { type CliOutput, EXIT, processOutput } from './output';

const USAGE = `Usage: espo-sso <command> [options]

Commands:
  serve                        Run the Slack receiver and the worker (HTTP on PORT, or Socket Mode)
  web                          Run the Slack receiver only
  worker                       Run the queue worker only
  check-config                 Validate the configuration and print it with secrets masked
  plan <instance>              Show what setup would change in authentik and EspoCRM
  apply <instance> --yes       Set up single sign-on for the instance (plan, apply, verify)
  status <instance>            Show whether single sign-on is on and how it differs from the configuration
  rotate <instance> --yes      Set a new client secret in authentik and EspoCRM
  disable <instance> --yes     Switch EspoCRM back to its own login; --purge also deletes the
                               authentik application and provider
  help                         Show this text

Options:
  --json                       Machine-readable output
  --yes                        Confirm a command that changes something
  --purge                      With disable: delete the authentik application and provider
  -h, --help                   Show this text

Exit codes: 0 success, 1 failure or invalid configuration, 2 wrong command line,
3 the plan has errors (nothing was changed).

Environment: ESPO_SSO_CONFIG (default ./espo-sso.yml), REDIS_URL, QUEUE_PREFIX, SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_URL, PORT, HOST, LOG_LEVEL. See the README.`;

/** Runs one CLI invocation and returns its exit code. */
export async function runCli(argv: string[], env: Env, output: CliOutput = processOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        purge: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    output.err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const [command, ...rest] = parsed.positionals;
  const { json, help, yes, purge } = parsed.values;
  if (help || command === undefined || command === 'help') {
    output.out(USAGE);
    return command === undefined && !help ? EXIT.usage : EXIT.ok;
  }
  switch (command) {
    case 'check-config':
      if (rest.length > 0) return usageError(output, `check-config takes no arguments, got "${rest.join(' ')}"`);
      return runCheckConfig(env, output, json ?? false);
    case 'serve':
    case 'web':
    case 'worker':
      if (rest.length > 0) return usageError(output, `${command} takes no arguments, got "${rest.join(' ')}"`);
      return runServe(env, output, command);
    case 'plan':
    case 'apply':
    case 'status':
    case 'rotate':
    case 'disable': {
      const [instance, ...extra] = rest;
      if (instance === undefined) return usageError(output, `${command} needs an instance name`);
      if (extra.length > 0) return usageError(output, `${command} takes one instance, got "${rest.join(' ')}"`);
      if (purge && command !== 'disable') return usageError(output, '--purge goes with disable only');
      return runProvisionCommand(env, output, {
        command,
        instance,
        yes: yes ?? false,
        purge: purge ?? false,
        json: json ?? false,
      });
    }
    default:
      return usageError(output, `Unknown command "${command}"`);
  }
}

function usageError(output: CliOutput, message: string): number {
  output.err(`${message}.\n\n${USAGE}`);
  return EXIT.usage;
}

if (require.main === module) {
  runCli(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`espo-sso failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
