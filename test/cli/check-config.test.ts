import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { runCli } from '../../src/cli/main';

const ROOT = path.join(__dirname, '..', '..');
const ENV = {
  ESPO_SSO_CONFIG: path.join(ROOT, 'espo-sso.example.yml'),
  AUTHENTIK_TOKEN: 'ak-secret-token-abcdef0123456789',
  ESPO_ACME_PASSWORD: 'espo-secret-password-xyz',
  SLACK_BOT_TOKEN: 'xoxb-secret-bot-token-1234',
  SLACK_SIGNING_SECRET: 'slack-signing-secret-5678',
};

function capture(): { lines: string[]; errors: string[]; output: { out(line: string): void; err(line: string): void } } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, output: { out: (line) => lines.push(line), err: (line) => errors.push(line) } };
}

describe('espo-sso check-config', () => {
  test('prints masked summary of the example', async () => {
    const { lines, errors, output } = capture();
    const code = await runCli(['check-config'], ENV, output);
    const text = lines.join('\n');
    expect(code).toBe(0);
    expect(errors).toEqual([]);
    expect(text).toContain('is valid.');
    expect(text).toContain('environment variable AUTHENTIK_TOKEN: ***(32 chars)');
    expect(text).toContain('environment variable ESPO_ACME_PASSWORD: ***(24 chars)');
    expect(text).toContain('xoxb-***(26 chars)');
    for (const secret of [ENV.AUTHENTIK_TOKEN, ENV.ESPO_ACME_PASSWORD, ENV.SLACK_BOT_TOKEN, ENV.SLACK_SIGNING_SECRET]) {
      expect(text).not.toContain(secret);
    }
  });

  test('JSON output redacts secrets', async () => {
    const { lines, output } = capture();
    const code = await runCli(['check-config', '--json'], ENV, output);
    const parsed = JSON.parse(lines.join('\n')) as { valid: boolean; config: { authentik: { token: string } } };
    expect(code).toBe(0);
    expect(parsed.valid).toBe(true);
    expect(parsed.config.authentik.token).toBe('[redacted]');
  });

  test('missing secret exits non-zero naming the variable', async () => {
    const { errors, output } = capture();
    const code = await runCli(['check-config'], { ...ENV, ESPO_ACME_PASSWORD: undefined }, output);
    expect(code).toBe(1);
    expect(errors.join('\n')).toContain('ESPO_ACME_PASSWORD, which is not set');
  });

  test('unknown command exits with usage code', async () => {
    const { errors, output } = capture();
    const code = await runCli(['frobnicate'], ENV, output);
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain('Unknown command "frobnicate"');
  });

  test('bin entry runs from a shell', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'espo-sso.js'), 'check-config'], {
      env: { PATH: process.env.PATH, ...ENV, ESPO_ACME_PASSWORD: '' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('instances[0].passwordEnv names the environment variable ESPO_ACME_PASSWORD, which is empty');
  });
});
