#!/usr/bin/env node
'use strict';
// Runs the compiled CLI from dist/ when it exists (production images), otherwise the TypeScript
// sources through tsx, so `npx espo-sso` works right after `npm ci` without a build.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'src', 'cli', 'main.js');
let main;
if (fs.existsSync(compiled)) {
  main = require(compiled);
} else {
  require('tsx/cjs');
  main = require(path.join(root, 'src', 'cli', 'main.ts'));
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
