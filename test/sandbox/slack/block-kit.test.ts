import { validateBlocks } from '../../../sandbox/slack';

function plain(text: string): Record<string, unknown> {
  return { type: 'plain_text', text };
}

function button(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'button', action_id: 'approve', text: plain('Approve'), value: 'req-1', ...overrides };
}

function actions(...elements: Record<string, unknown>[]): Record<string, unknown>[] {
  return [{ type: 'actions', elements }];
}

function confirm(title: string, text: string): Record<string, unknown> {
  return { title: plain(title), text: plain(text), confirm: plain('Yes'), deny: plain('No') };
}

const cases: Array<{ name: string; valid: unknown[]; invalid: unknown[]; pointer: string }> = [
  {
    name: 'section text 3000',
    valid: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3000) } }],
    invalid: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3001) } }],
    pointer: '/blocks/0/text/text',
  },
  {
    name: 'button text 75',
    valid: actions(button({ text: plain('b'.repeat(75)) })),
    invalid: actions(button({ text: plain('b'.repeat(76)) })),
    pointer: '/blocks/0/elements/0/text/text',
  },
  {
    name: 'action_id 255',
    valid: actions(button({ action_id: 'c'.repeat(255) })),
    invalid: actions(button({ action_id: 'c'.repeat(256) })),
    pointer: '/blocks/0/elements/0/action_id',
  },
  {
    name: 'button value 2000',
    valid: actions(button({ value: 'd'.repeat(2000) })),
    invalid: actions(button({ value: 'd'.repeat(2001) })),
    pointer: '/blocks/0/elements/0/value',
  },
  {
    name: 'confirm title 100',
    valid: actions(button({ confirm: confirm('e'.repeat(100), 'Sure?') })),
    invalid: actions(button({ confirm: confirm('e'.repeat(101), 'Sure?') })),
    pointer: '/blocks/0/elements/0/confirm/title/text',
  },
  {
    name: 'confirm text 300',
    valid: actions(button({ confirm: confirm('Roll out?', 'f'.repeat(300)) })),
    invalid: actions(button({ confirm: confirm('Roll out?', 'f'.repeat(301)) })),
    pointer: '/blocks/0/elements/0/confirm/text/text',
  },
  {
    name: 'header text 150',
    valid: [{ type: 'header', text: plain('g'.repeat(150)) }],
    invalid: [{ type: 'header', text: plain('g'.repeat(151)) }],
    pointer: '/blocks/0/text/text',
  },
  {
    name: 'one primary button',
    valid: actions(button({ style: 'primary' }), button({ action_id: 'reject', style: 'danger' })),
    invalid: actions(button({ style: 'primary' }), button({ action_id: 'reject', style: 'primary' })),
    pointer: '/blocks/0/elements/1/style',
  },
  {
    name: 'non-empty context text',
    valid: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Requested by alice' }] }],
    invalid: [{ type: 'context', elements: [{ type: 'mrkdwn', text: '' }] }],
    pointer: '/blocks/0/elements/0/text',
  },
  {
    name: 'unique block_id',
    valid: [{ type: 'divider', block_id: 'one' }, { type: 'divider', block_id: 'two' }],
    invalid: [{ type: 'divider', block_id: 'one' }, { type: 'divider', block_id: 'one' }],
    pointer: '/blocks/1/block_id',
  },
  {
    name: 'known block type',
    valid: [{ type: 'divider' }],
    invalid: [{ type: 'banner' }],
    pointer: '/blocks/0/type',
  },
];

describe('validateBlocks', () => {
  it.each(cases)('accepts the limit: $name', ({ valid }) => {
    expect(validateBlocks(valid, 'message')).toEqual([]);
  });

  it.each(cases)('rejects past the limit: $name', ({ invalid, pointer }) => {
    const problems = validateBlocks(invalid, 'message');

    expect(problems.map((problem) => problem.pointer)).toEqual([pointer]);
  });

  it('rejects more than 50 message blocks', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));

    expect(validateBlocks(blocks, 'message')).toEqual([{ pointer: '/blocks', message: 'must provide at most 50 items' }]);
    expect(validateBlocks(blocks, 'modal')).toEqual([]);
  });

  it('rejects a section without text or fields', () => {
    expect(validateBlocks([{ type: 'section' }], 'message')).toEqual([{ pointer: '/blocks/0', message: 'must provide text or fields' }]);
  });

  it('rejects a non-array', () => {
    expect(validateBlocks({ type: 'divider' }, 'message')).toEqual([{ pointer: '/blocks', message: 'must provide an array' }]);
  });
});
