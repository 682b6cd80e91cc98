/**
 * Preloaded into a child process with NODE_OPTIONS="--expose-gc --require tsx/cjs --require
 * <this file>": on SIGUSR2 it runs two full garbage collections and writes the live heap to
 * standard error as one line, `heap-probe heapUsedMiB=<n>`. Resident memory alone cannot tell a
 * leak from a heap that V8 has not collected yet.
 */

const collect = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  if (collect) {
    collect();
    collect();
  }
  const heapUsedMiB = process.memoryUsage().heapUsed / 1024 / 1024;
  process.stderr.write(`heap-probe heapUsedMiB=${heapUsedMiB.toFixed(1)}${collect ? '' : ' (no gc: --expose-gc missing)'}\n`);
});
