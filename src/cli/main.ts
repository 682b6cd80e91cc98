import { parseArgs } from 'node:util';

import { type Env } from '../config';
import { runCheckConfig } from './commands/check-config';
import { type CliOutput, EXIT, processOutput } from './output';

const USAGE = `Usage: espo-sso <command> [options]

Commands:
  check-config                 Validate the configuration and print it with secrets masked
  help                         Show this text

Options:
  --json                       Machine-readable output
  -h, --help                   Show this text

Environment: ESPO_SSO_CONFIG (default ./espo-sso.yml), REDIS_URL, QUEUE_PREFIX, SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, SLACK_API_URL, PORT, LOG_LEVEL. See the README.`;

/** Runs one CLI invocation and returns its exit code. */
export async function runCli(argv: string[], env: Env, output: CliOutput = processOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    output.err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const [command, ...rest] = parsed.positionals;
  const { json, help } = parsed.values;
  if (help || command === undefined || command === 'help') {
    output.out(USAGE);
    return command === undefined && !help ? EXIT.usage : EXIT.ok;
  }
  switch (command) {
    case 'check-config':
      if (rest.length > 0) return usageError(output, `check-config takes no arguments, got "${rest.join(' ')}"`);
      return runCheckConfig(env, output, json ?? false);
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
