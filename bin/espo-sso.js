#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources through tsx in a development checkout (src/ and tsx present), so
// `npx espo-sso` works right after `npm ci` and never picks up a stale dist/ from an earlier
// build. Everywhere else, e.g. the Docker image (no src/, installed with --omit=dev, so no
// tsx), it runs the compiled CLI from dist/.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'src', 'cli', 'main.js');
const source = path.join(root, 'src', 'cli', 'main.ts');

function tsxInstalled() {
  try {
    require.resolve('tsx/cjs');
    return true;
  } catch {
    return false;
  }
}

let main;
if (fs.existsSync(source) && tsxInstalled()) {
  require('tsx/cjs');
  main = require(source);
} else if (fs.existsSync(compiled)) {
  main = require(compiled);
} else {
  process.stderr.write(
    `espo-sso cannot start: ${compiled} is missing and the TypeScript sources cannot run without tsx. Run "npm run build", or "npm ci" to install tsx.\n`,
  );
  process.exit(1);
}
main.runCli(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`espo-sso failed: ${error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
