/** Where CLI commands write; tests pass arrays instead of the process streams. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

// A reader that closes early (`espo-sso check-config | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

export const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** The operation failed, or the configuration is invalid. */
  failure: 1,
  /** The command line was wrong. */
  usage: 2,
  /** A plan has errors, so nothing was applied. */
  planErrors: 3,
} as const;
