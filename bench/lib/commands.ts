import { type Agent } from 'node:http';
import { performance } from 'node:perf_hooks';

import { type SignedResponse, sendSlashCommand } from '../../sandbox/slack';
import { SANDBOX } from '../../sandbox/world';

/** A slash command the acknowledgement figures send, and the check of espo-sso's response to it. */
export interface BenchCommand {
  /** Text after `/espo-sso`. */
  text: string;
  /** Whether espo-sso's acknowledgement is the expected one; the bare app's is an empty 200. */
  isExpected(response: SignedResponse): boolean;
}

export const HELP_COMMAND: BenchCommand = {
  text: 'help',
  isExpected: (response) => response.status === 200 && (response.json as { response_type?: string } | undefined)?.response_type === 'ephemeral',
};

export const STATUS_COMMAND: BenchCommand = {
  text: 'status demo',
  isExpected: (response) =>
    response.status === 200 && ((response.json as { text?: string } | undefined)?.text ?? '').startsWith('Reading the status of'),
};

/** Latencies of one batch in milliseconds, and the number of unexpected responses. */
export interface Batch {
  latenciesMs: number[];
  errors: number;
}

/**
 * Sends `count` signed slash commands one after another over `agent` (keep-alive) and times each
 * from before signing to the end of the response body. `expectBody` false accepts any 200.
 */
export async function sendCommandBatch(url: string, agent: Agent, command: BenchCommand, count: number, expectBody: boolean): Promise<Batch> {
  const latenciesMs: number[] = [];
  let errors = 0;
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    let ok: boolean;
    try {
      const response = await sendSlashCommand(
        url,
        SANDBOX.signingSecret,
        { text: command.text, userId: SANDBOX.requesterId, channelId: SANDBOX.channelId, teamId: SANDBOX.teamId },
        { agent, timeoutMs: 5000 },
      );
      ok = expectBody ? command.isExpected(response) : response.status === 200;
    } catch {
      ok = false;
    }
    latenciesMs.push(performance.now() - started);
    if (!ok) errors += 1;
  }
  return { latenciesMs, errors };
}
