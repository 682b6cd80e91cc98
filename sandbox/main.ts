import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { stringify } from 'yaml';

import { startSandbox } from './world';

/**
 * Runs the fake authentik, EspoCRM and Slack servers on 127.0.0.1 until Ctrl-C, and writes a
 * configuration file and an environment file that point espo-sso at them:
 *
 *   npm run sandbox [-- <directory>]
 *   set -a; . <directory>/sandbox.env; set +a
 *   npx espo-sso plan acme
 */
async function main(): Promise<void> {
  const directory = path.resolve(process.argv[2] ?? path.join(tmpdir(), 'espo-sso-sandbox'));
  mkdirSync(directory, { recursive: true });
  const world = await startSandbox({ instances: ['acme'] });
  const configPath = path.join(directory, 'espo-sso.yml');
  const envPath = path.join(directory, 'sandbox.env');
  writeFileSync(configPath, `# Written by npm run sandbox; points espo-sso at the local fakes.\n${stringify(world.config)}`);
  const env = { ...world.env, ESPO_SSO_CONFIG: configPath, LOG_LEVEL: 'info' };
  writeFileSync(envPath, `${Object.entries(env).map(([key, value]) => `${key}=${value}`).join('\n')}\n`);

  console.log('espo-sso sandbox: fakes on 127.0.0.1 (test credentials only)');
  console.log(`  authentik  ${world.authentik.url} (version ${world.authentik.version})`);
  console.log(`  EspoCRM    ${world.instances[0]?.espocrm.url} (instance "acme", version ${world.instances[0]?.espocrm.version})`);
  console.log(`  Slack API  ${world.slack.apiUrl}`);
  console.log('');
  console.log(`Configuration: ${configPath}`);
  console.log(`Environment:   ${envPath}`);
  console.log('');
  console.log('In another shell:');
  console.log(`  set -a; . ${envPath}; set +a`);
  console.log('  npx espo-sso plan acme');
  console.log('  npx espo-sso apply acme --yes');
  console.log('  npx espo-sso status acme');
  console.log('');
  console.log('Press Ctrl-C to stop.');

  const stop = (): void => {
    world.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`sandbox failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
