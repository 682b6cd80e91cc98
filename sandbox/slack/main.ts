import { FakeSlack } from './fake-slack';
import { renderTranscript } from './transcript';

/**
 * Runs the fake Slack Web API by hand: `npx tsx sandbox/slack/main.ts [port]`.
 * Point the bot at the printed `slackApiUrl`. Ctrl-C prints the transcript and stops the server.
 */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid port ${JSON.stringify(process.argv[2])}: expected an integer from 0 to 65535`);
    process.exitCode = 2;
    return;
  }
  const fake = new FakeSlack();
  await fake.start(port);
  console.log(`fake Slack listening, slackApiUrl=${fake.apiUrl} bot token=${fake.botToken}`);
  console.log(`response URLs: ${fake.url}/response/<id>`);

  process.once('SIGINT', () => {
    console.log(`\n${renderTranscript(fake)}`);
    void fake.stop().then(() => console.log('fake Slack stopped'));
  });
}

void main();
