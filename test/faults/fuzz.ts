/**
 * Seeded generators of slash-command texts that are not valid commands: random characters, very
 * long strings, Unicode look-alikes and invisible characters, Slack's escapes, and near misses of
 * real commands. A fixed seed makes every failure reproducible.
 */

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function randomLength(random: () => number, max: number): number {
  return 1 + Math.floor(random() * max);
}

/** Characters with code points 0 to 255, control characters included. */
function randomBytes(random: () => number): string {
  return Array.from({ length: randomLength(random, 120) }, () => String.fromCharCode(Math.floor(random() * 256))).join('');
}

const UNICODE_PIECES = [
  '😀', '👩‍💻', '🏳️‍🌈', '漢字', 'שלום', 'مرحبا', '\u202e', '\u200b', '\ufeff', '\u0301', 'e\u0301',
  '\ud800', '\udfff', 'ｓｅｔｕｐ', 'ｄｅｍｏ', 'ѕetup', 'dеmo', 'İ', 'ß', '\u0000', '\u007f', '\u2028', '\u00a0',
];

/** Mixes emoji, right-to-left text, combining marks, zero-width characters, lone surrogates and look-alikes. */
function randomUnicode(random: () => number): string {
  return Array.from({ length: randomLength(random, 12) }, () => pick(random, UNICODE_PIECES)).join(pick(random, ['', ' ', '\u3000']));
}

/** Texts in Slack's escape forms: mentions, channels, special mentions and links, inside real command words. */
export const SLACK_ESCAPES: readonly string[] = [
  '<@U123>',
  '<@U0APPROVER|avery>',
  '<#C1|x>',
  '<!here>',
  '<!channel>',
  '<!subteam^S0APPROVERS|@sso-approvers>',
  '<https://x|y>',
  '<http://127.0.0.1/|demo>',
  '<mailto:a@example.com|demo>',
  'setup <@U123>',
  'setup <#C0REQUESTS|demo>',
  'status <https://demo|demo>',
  'rotate <!here>',
  'disable <@U0REQUESTER> --purge',
  '&lt;@U123&gt;',
  'setup &lt;#C1|demo&gt;',
  'setup demo&amp;other',
  'setup demo<',
  'setup <demo>',
  '<>',
  '<<<<>>>>',
];

/** Real command words with wrong, extra or missing arguments. */
export const NEAR_MISSES: readonly string[] = [
  'setup demo extra',
  'setup dem0',
  'setup demo,other',
  'setup ../demo',
  'setup demo;rm',
  'setup "demo"',
  "setup 'demo'",
  'setup demo\u0000',
  'setup d\u200bemo',
  'status',
  'rotate',
  'disable',
  'disable --purge',
  'list all',
  'help me',
  'approve demo',
  'setup ' + 'a'.repeat(41),
  'setup -demo-'.repeat(3),
  '/espo-sso setup demo',
  'setup\u3000demo',
  'ｓｅｔｕｐ ｄｅｍｏ',
  'ѕetup demo',
  'setup dеmo',
  '--purge',
  'disable demo --purge=yes',
  '%73etup demo',
  'setup%20demo',
];

/** Texts longer than the parser's 500-character limit, up to 200 000 characters. */
export function longTexts(random: () => number): string[] {
  return [
    'setup ' + 'x'.repeat(495),
    'a'.repeat(501),
    'setup demo ' + ' '.repeat(600),
    pick(random, UNICODE_PIECES).repeat(1000),
    'status demo '.repeat(1000),
    'z'.repeat(200_000),
  ];
}

/** `count` random texts: random bytes, random Unicode and random mixes of Slack escapes and command words. */
export function randomTexts(random: () => number, count: number): string[] {
  const words = ['setup', 'status', 'rotate', 'disable', 'list', 'help', 'demo', '--purge', ...SLACK_ESCAPES];
  const texts: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const kind = index % 3;
    if (kind === 0) texts.push(randomBytes(random));
    else if (kind === 1) texts.push(randomUnicode(random));
    else texts.push(Array.from({ length: randomLength(random, 6) }, () => pick(random, [...words, randomUnicode(random)])).join(' '));
  }
  return texts;
}
