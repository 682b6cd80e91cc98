import pino from 'pino';

import { type Env } from '../../config';
import { toEspoSsoError } from '../../errors';
import { createLogger } from '../../logging/logger';
import {
  type Operation,
  applyPlan,
  isApplicable,
  planOperation,
  renderPlan,
  renderResult,
  requireInstance,
  withContext,
} from '../../provisioning';
import { loadCommandConfig } from '../load-config';
import { type CliOutput, EXIT } from '../output';

export interface ProvisionCommandOptions {
  /** `plan` only plans; the others plan and apply when `yes` is set. */
  command: 'plan' | 'apply' | 'status' | 'rotate' | 'disable';
  instance: string;
  yes: boolean;
  purge: boolean;
  json: boolean;
}

const OPERATION: Record<ProvisionCommandOptions['command'], Operation> = {
  plan: 'setup',
  apply: 'setup',
  status: 'status',
  rotate: 'rotate',
  disable: 'disable',
};

/** Runs plan, apply, status, rotate or disable against one instance and returns the exit code. */
export async function runProvisionCommand(env: Env, output: CliOutput, options: ProvisionCommandOptions): Promise<number> {
  const config = loadCommandConfig(env, output);
  if (!config) return EXIT.failure;
  // Log lines go to standard error so that standard output stays the command's result.
  const logger = createLogger({ level: config.env.logLevel === 'info' ? 'warn' : config.env.logLevel, destination: pino.destination({ dest: 2, sync: true }) });

  const operation = OPERATION[options.command];
  const applies = options.command !== 'plan' && options.command !== 'status';
  if (applies && !options.yes) {
    output.err(`${options.command} changes authentik and EspoCRM: review "espo-sso plan" output, then add --yes.`);
    return EXIT.usage;
  }

  try {
    const instance = requireInstance(config, options.instance);
    return await withContext(config, instance, { logger }, async (context) => {
      const plan = await planOperation(context, operation, { purge: options.purge });
      if (!applies || !isApplicable(plan)) {
        if (options.json) output.out(JSON.stringify({ plan }, null, 2));
        else for (const line of renderPlan(plan)) output.out(line);
        return plan.errors.length > 0 ? EXIT.planErrors : EXIT.ok;
      }
      if (!options.json) for (const line of renderPlan(plan)) output.out(line);
      const result = await applyPlan(context, plan, {
        onProgress: (event) => {
          if (!options.json && event.status !== 'started') output.err(`  ${event.step}: ${event.status}${event.detail ? ` (${event.detail})` : ''}`);
        },
      });
      if (options.json) output.out(JSON.stringify({ plan, result }, null, 2));
      else for (const line of renderResult(result)) output.out(line);
      if (result.ok) return EXIT.ok;
      return result.error?.code === 'plan_invalid' ? EXIT.planErrors : EXIT.failure;
    });
  } catch (error) {
    const wrapped = toEspoSsoError(error);
    if (options.json) output.out(JSON.stringify({ error: { code: wrapped.code, message: wrapped.message, hint: wrapped.hint } }, null, 2));
    else output.err(`${options.command} failed: ${wrapped.describe()}`);
    return EXIT.failure;
  }
}
