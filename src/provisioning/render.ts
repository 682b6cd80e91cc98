import { type ApplyResult, type Change, type Plan } from './types';

const ARROW = '→';

function shorten(value: string | null, max = 100): string {
  if (value === null) return '(none)';
  return value.length > max ? `${value.slice(0, max - 3)}...` : value;
}

/** Groups changes by system and object, keeping their order. */
export function groupChanges(changes: readonly Change[]): Array<{ system: string; object: string; action: string; changes: Change[] }> {
  const groups: Array<{ system: string; object: string; action: string; changes: Change[] }> = [];
  for (const change of changes) {
    const last = groups[groups.length - 1];
    if (last && last.system === change.system && last.object === change.object) last.changes.push(change);
    else groups.push({ system: change.system, object: change.object, action: change.action, changes: [change] });
  }
  return groups;
}

/** One line for a changed field: `authenticationMethod: Espo -> Oidc`. */
export function formatChange(change: Change): string {
  if (change.action === 'delete') return `delete (${shorten(change.current)})`;
  if (change.action === 'create') return `${change.field}: ${shorten(change.next)}`;
  return `${change.field}: ${shorten(change.current)} ${ARROW} ${shorten(change.next)}`;
}

/** Renders a plan as plain text for the CLI and logs. */
export function renderPlan(plan: Plan): string[] {
  const versions = [
    plan.summary.authentikVersion ? `authentik ${plan.summary.authentikVersion}` : undefined,
    plan.summary.espocrmVersion ? `EspoCRM ${plan.summary.espocrmVersion}` : undefined,
  ].filter(Boolean);
  const lines = [
    `Plan ${plan.id.slice(0, 8)}: ${plan.operation} ${plan.instance}${plan.purge ? ' --purge' : ''}${versions.length ? ` (${versions.join(', ')})` : ''}`,
  ];
  if (plan.operation === 'status') {
    lines.push(`  single sign-on: ${plan.summary.ssoEnabled ? 'on' : 'off'}`);
    lines.push(`  client id: ${plan.summary.clientId ?? '(none)'}`);
    lines.push(`  redirect URI: ${plan.summary.redirectUri ?? '(unknown)'}`);
    lines.push(plan.changes.length === 0 ? '  matches the configuration' : `  differs from the configuration in ${plan.changes.length} field(s):`);
  }
  if (plan.changes.length === 0 && plan.operation !== 'status') lines.push('  No changes.');
  for (const group of groupChanges(plan.changes)) {
    lines.push(`  ${group.system === 'espocrm' ? 'EspoCRM' : group.system} ${group.object}: ${group.action}`);
    for (const change of group.changes) lines.push(`    ${formatChange(change)}`);
  }
  if (plan.warnings.length > 0) {
    lines.push('Warnings:');
    for (const warning of plan.warnings) lines.push(`  - ${warning}`);
  }
  if (plan.errors.length > 0) {
    lines.push('Errors (nothing can be applied):');
    for (const error of plan.errors) lines.push(`  - ${error.message} Fix: ${error.fix}.`);
  }
  return lines;
}

/** Renders an apply result as plain text. */
export function renderResult(result: ApplyResult): string[] {
  const lines: string[] = [];
  if (result.ok) {
    lines.push(`${result.operation} ${result.instance}: done.`);
    if (result.clientId) lines.push(`  client id: ${result.clientId}`);
    lines.push(`  login page: ${result.loginUrl}`);
  } else {
    lines.push(`${result.operation} ${result.instance}: failed. ${result.error?.message ?? ''}`.trimEnd());
    if (result.error?.hint) lines.push(`  ${result.error.hint}`);
  }
  for (const check of result.checks) lines.push(`  [${check.ok ? 'ok' : 'FAILED'}] ${check.name}: ${check.detail}`);
  if (result.undone.length > 0) lines.push(`  undone: ${result.undone.join('; ')}`);
  if (result.leftBehind.length > 0) lines.push(`  needs attention: ${result.leftBehind.join('; ')}`);
  return lines;
}
