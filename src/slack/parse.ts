/** The forms of `/espo-sso` the bot understands. */
export type ParsedCommand =
  | { kind: 'help'; reason?: string }
  | { kind: 'list' }
  | { kind: 'setup'; instance: string | undefined }
  | { kind: 'status' | 'rotate'; instance: string }
  | { kind: 'disable'; instance: string; purge: boolean };

const INSTANCE = /^[a-z0-9_-]{1,40}$/;
const MAX_TEXT = 500;

/**
 * Parses the text after the command. Tolerates extra spaces, any case, and Slack's escapes:
 * mentions `<@U1|name>`, channels `<#C1|name>` and links `<https://x|label>` are not instance
 * names, so they make the command unknown rather than being guessed at.
 */
export function parseCommandText(raw: string): ParsedCommand {
  if (raw.length > MAX_TEXT) return { kind: 'help', reason: 'That command is too long.' };
  const text = raw
    .replace(/&nbsp;|\u00a0/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .trim();
  if (text === '') return { kind: 'help' };
  if (/<[@#!][^>]*>|<https?:[^>]*>|<mailto:[^>]*>/i.test(text)) {
    return { kind: 'help', reason: 'Mentions, channels and links are not instance names.' };
  }
  const words = text.toLowerCase().split(/\s+/);
  const [verb, ...args] = words;
  const unknown = (): ParsedCommand => ({ kind: 'help', reason: `I do not understand "${clipForReply(raw.trim())}".` });

  switch (verb) {
    case 'help':
      return args.length === 0 ? { kind: 'help' } : unknown();
    case 'list':
      return args.length === 0 ? { kind: 'list' } : unknown();
    case 'setup':
      if (args.length === 0) return { kind: 'setup', instance: undefined };
      return args.length === 1 && INSTANCE.test(args[0] ?? '') ? { kind: 'setup', instance: args[0] } : unknown();
    case 'status':
    case 'rotate':
      return args.length === 1 && INSTANCE.test(args[0] ?? '') ? { kind: verb, instance: args[0] as string } : unknown();
    case 'disable': {
      const purge = args.includes('--purge') || args.includes('purge');
      const rest = args.filter((arg) => arg !== '--purge' && arg !== 'purge');
      return rest.length === 1 && INSTANCE.test(rest[0] ?? '') ? { kind: 'disable', instance: rest[0] as string, purge } : unknown();
    }
    default:
      return unknown();
  }
}

/** Shortens user text echoed back, and drops characters that would start Slack markup. */
function clipForReply(text: string): string {
  const cleaned = [...text.replace(/[<>&*_~`]/g, '')].map((char) => (char.charCodeAt(0) < 32 || char === '\u007f' ? ' ' : char)).join('');
  return cleaned.length > 60 ? `${cleaned.slice(0, 57)}...` : cleaned;
}
