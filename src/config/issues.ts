import { EspoSsoError } from '../errors';
import { maskValue } from './secret';

/** One problem found in the configuration. */
export interface ConfigIssue {
  /** Dotted path in the YAML file (`instances[0].url`) or the environment variable's name. */
  key: string;
  /** The offending value, if there is one to show. */
  value?: unknown;
  /** Whether the value is secret and must be masked. */
  secret?: boolean;
  /** Problem, as a phrase that follows the key: "is missing", "is not an http(s) URL". */
  problem: string;
  /** Fix for the problem. */
  fix: string;
}

/** Formats one issue as "key: problem (value: ...). Fix: ...". */
export function formatIssue(issue: ConfigIssue): string {
  const shown = issue.value === undefined ? '' : ` (value: ${showValue(issue.value, issue.secret ?? false)})`;
  return `${issue.key} ${issue.problem}${shown}. Fix: ${issue.fix}.`;
}

function showValue(value: unknown, secret: boolean): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  if (secret) return maskValue(text);
  const clipped = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  return typeof value === 'string' ? JSON.stringify(clipped) : clipped;
}

/** The configuration is invalid; `issues` lists every problem found, not only the first. */
export class ConfigError extends EspoSsoError {
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${formatIssue(issue)}`);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super('config_invalid', `Invalid configuration in ${source}: ${count}\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
