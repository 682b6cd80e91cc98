/** Text helpers for Slack mrkdwn: escaping and length limits. */

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `text` to `max` characters, marking the cut; never returns an empty string. */
export function clip(text: string, max: number): string {
  const value = text.length === 0 ? ' ' : text;
  if (value.length <= max) return value;
  return `${value.slice(0, max - 2)} …`;
}

/**
 * Splits long text into chunks of at most `max` characters, at line breaks where possible. A line
 * longer than `max` is split into pieces of `max` characters, so no character is lost.
 */
export function chunkText(text: string, max: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const candidate = current === '' ? line : `${current}\n${line}`;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    if (current !== '') chunks.push(current);
    let rest = line;
    while (rest.length > max) {
      chunks.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    current = rest;
  }
  if (current !== '') chunks.push(current);
  return chunks.length > 0 ? chunks : [' '];
}

/** Formats an ISO time for Slack so each reader sees it in their own time zone. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${iso}>`;
}
