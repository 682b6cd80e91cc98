import { randomUUID } from 'node:crypto';

import { parseConfig } from '../src/config';
import { createLogger } from '../src/logging/logger';
import { registerConfigSecrets } from '../src/logging/secrets';
import { startBot } from '../src/runtime/bot';
import { ACTION } from '../src/slack/ids';
import { SANDBOX, startSandbox } from '../sandbox/world';
import { renderTranscript, sendBlockAction, sendSlashCommand } from '../sandbox/slack';
import { type FakeSlack } from '../sandbox/slack';
import { deleteKeys, obtainRedis } from './redis';

/**
 * The offline demo: fake authentik, EspoCRM and Slack on 127.0.0.1, the real bot, a signed
 * `/espo-sso setup demo`, an approver's signed click, and a transcript of what Slack showed and
 * what changed in authentik and EspoCRM. Exits 0 when the setup succeeded.
 */

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function requestMessage(slack: FakeSlack) {
  return slack.messages(SANDBOX.channelId).find((message) => JSON.stringify(message.blocks ?? []).includes(ACTION.approve));
}

function line(text = ''): void {
  console.log(text);
}

async function main(): Promise<number> {
  const redis = await obtainRedis(process.env);
  const prefix = `espo-sso-demo-${randomUUID().slice(0, 8)}`;
  const world = await startSandbox({ redisUrl: redis.url, queuePrefix: prefix });
  const config = parseConfig(world.config, { ...world.env, PORT: '0' }, { source: 'demo configuration' });
  registerConfigSecrets(config);
  const logger = createLogger({ level: (process.env.DEMO_LOG_LEVEL as 'info' | undefined) ?? 'warn' });
  const bot = await startBot({ config, role: 'serve', logger, port: 0 });
  let exitCode: number;
  try {
    line('espo-sso offline demo');
    line(`  fake authentik ${world.authentik.url} (version ${world.authentik.version})`);
    line(`  fake EspoCRM   ${world.instances[0]?.espocrm.url} (version ${world.instances[0]?.espocrm.version})`);
    line(`  fake Slack     ${world.slack.url}`);
    line(`  bot            ${bot.url}   Redis ${redis.url}${redis.started ? ' (started for the demo)' : ''}`);
    line();

    line(`> <@${SANDBOX.requesterId}> types: /espo-sso setup demo`);
    const command = await sendSlashCommand(bot.url, SANDBOX.signingSecret, {
      text: 'setup demo',
      userId: SANDBOX.requesterId,
      channelId: SANDBOX.channelId,
      teamId: SANDBOX.teamId,
    });
    const ack = command.json as { text?: string } | undefined;
    line(`< bot answers at once (HTTP ${command.status}): ${ack?.text ?? command.body}`);

    const posted = await waitFor('the approval request', () => requestMessage(world.slack));
    line(`< bot posts the plan in #sso-requests`);
    line();
    line(`> <@${SANDBOX.approverId}> clicks Approve`);
    const click = await sendBlockAction(bot.url, SANDBOX.signingSecret, {
      userId: SANDBOX.approverId,
      channelId: SANDBOX.channelId,
      teamId: SANDBOX.teamId,
      messageTs: posted.ts,
      actionId: ACTION.approve,
      blockId: (posted.blocks?.find((block) => block.type === 'actions')?.block_id as string | undefined) ?? '',
      value: ((posted.blocks?.find((block) => block.type === 'actions')?.elements as Array<{ value?: string }> | undefined)?.[0]?.value) ?? '',
      message: world.slack.messagePayload(SANDBOX.channelId, posted.ts),
    });
    line(`< Slack receives the acknowledgement (HTTP ${click.status})`);

    const finished = await waitFor('the result', () =>
      world.slack.message(SANDBOX.channelId, posted.ts)?.replies.find((reply) => /done|failed/.test(reply.text)),
    );
    line();
    line('What Slack showed');
    line('-----------------');
    line(renderTranscript(world.slack, { includeEphemerals: true }));
    line();
    line('What changed in authentik');
    line('-------------------------');
    for (const provider of world.authentik.providers()) {
      line(`  provider #${provider.pk} "${provider.name}": client_id ${provider.client_id}, client_type ${provider.client_type}, sub_mode ${provider.sub_mode}`);
      line(`    redirect_uris ${JSON.stringify(provider.redirect_uris)}`);
      line(`    client_secret: set (${provider.client_secret.length} characters, not shown)`);
    }
    for (const application of world.authentik.applications()) {
      line(`  application ${application.slug} "${application.name}" -> provider #${application.provider}, launch URL ${application.meta_launch_url}`);
    }
    line();
    line('What changed in EspoCRM');
    line('-----------------------');
    const settings = world.instances[0]?.espocrm.settings ?? {};
    for (const [key, value] of Object.entries(settings)) {
      if (!key.startsWith('oidc') && key !== 'authenticationMethod') continue;
      line(`  ${key}: ${key === 'oidcClientSecret' ? `set (${String(value).length} characters, not shown)` : JSON.stringify(value)}`);
    }
    exitCode = /done/.test(finished.text) ? 0 : 1;
    line();
    line(exitCode === 0 ? 'Demo finished: single sign-on is set up.' : 'Demo finished, but the setup failed; see the transcript above.');
  } finally {
    await bot.stop();
    await world.stop();
    await deleteKeys(redis.url, prefix);
    await redis.stop();
  }
  return exitCode;
}

main().then(
  (code) => {
    process.exit(code);
  },
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
