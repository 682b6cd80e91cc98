/**
 * Block Kit checks of the fake Slack Web API. They reject what real Slack rejects for the
 * blocks this bot sends, so a message that the fake accepts also fits Slack's documented
 * limits. Problems use Slack's JSON-pointer notation, e.g. `/blocks/0/text/text`.
 *
 * Lengths are counted in UTF-16 code units (JavaScript's `length`). Slack documents its limits
 * in characters, so text outside the Basic Multilingual Plane (emoji) counts twice here.
 */

export type JsonObject = Record<string, unknown>;

/** One validation problem, in the form Slack puts into `response_metadata.messages`. */
export interface BlockKitProblem {
  /** JSON pointer of the offending value, e.g. `/blocks/2/elements/0/text/text`. */
  pointer: string;
  message: string;
}

/** Block Kit limits from Slack's reference pages for blocks, elements and composition objects. */
export const BLOCK_KIT_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  blockId: 255,
  actionId: 255,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  optionText: 75,
  optionValue: 150,
  options: 100,
  placeholder: 150,
  inputLabel: 2000,
  inputHint: 2000,
  imageAltText: 2000,
  markdownText: 12000,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  externalId: 255,
} as const;

const BLOCK_TYPES = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'video',
]);

const OPTION_ELEMENT_TYPES = new Set([
  'static_select',
  'multi_static_select',
  'overflow',
  'radio_buttons',
  'checkboxes',
]);

const OTHER_ELEMENT_TYPES = new Set([
  'channels_select',
  'conversations_select',
  'datepicker',
  'datetimepicker',
  'email_text_input',
  'external_select',
  'file_input',
  'multi_channels_select',
  'multi_conversations_select',
  'multi_external_select',
  'multi_users_select',
  'number_input',
  'plain_text_input',
  'rich_text_input',
  'timepicker',
  'url_text_input',
  'users_select',
]);

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects problems while walking one payload. */
class ProblemList {
  readonly items: BlockKitProblem[] = [];

  add(pointer: string, message: string): void {
    this.items.push({ pointer, message });
  }
}

interface TextRule {
  max: number;
  required?: boolean;
  plainTextOnly?: boolean;
}

function checkTextObject(value: unknown, pointer: string, rule: TextRule, problems: ProblemList): void {
  if (value === undefined) {
    if (rule.required) problems.add(pointer, 'must provide a text object');
    return;
  }
  if (!isJsonObject(value)) {
    problems.add(pointer, 'must provide an object');
    return;
  }
  const type = value.type;
  if (type !== 'plain_text' && type !== 'mrkdwn') {
    problems.add(`${pointer}/type`, 'must be "plain_text" or "mrkdwn"');
  } else if (rule.plainTextOnly && type !== 'plain_text') {
    problems.add(`${pointer}/type`, 'must be "plain_text"');
  }
  checkString(value.text, `${pointer}/text`, { max: rule.max, required: true, nonEmpty: true }, problems);
}

interface StringRule {
  max: number;
  required?: boolean;
  nonEmpty?: boolean;
}

function checkString(value: unknown, pointer: string, rule: StringRule, problems: ProblemList): void {
  if (value === undefined) {
    if (rule.required) problems.add(pointer, 'must provide a string');
    return;
  }
  if (typeof value !== 'string') {
    problems.add(pointer, 'must be a string');
    return;
  }
  if (rule.nonEmpty && value.length === 0) {
    problems.add(pointer, 'must be more than 0 characters');
    return;
  }
  if (value.length > rule.max) problems.add(pointer, `must be less than ${rule.max + 1} characters`);
}

function checkConfirm(value: unknown, pointer: string, problems: ProblemList): void {
  if (value === undefined) return;
  if (!isJsonObject(value)) {
    problems.add(pointer, 'must provide an object');
    return;
  }
  const limits = BLOCK_KIT_LIMITS;
  checkTextObject(value.title, `${pointer}/title`, { max: limits.confirmTitle, required: true, plainTextOnly: true }, problems);
  checkTextObject(value.text, `${pointer}/text`, { max: limits.confirmText, required: true }, problems);
  checkTextObject(value.confirm, `${pointer}/confirm`, { max: limits.confirmButton, required: true, plainTextOnly: true }, problems);
  checkTextObject(value.deny, `${pointer}/deny`, { max: limits.confirmButton, required: true, plainTextOnly: true }, problems);
  if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') {
    problems.add(`${pointer}/style`, 'must be "primary" or "danger"');
  }
}

function checkOptions(element: JsonObject, pointer: string, problems: ProblemList): void {
  const lists: Array<[string, unknown]> = [['options', element.options]];
  if (Array.isArray(element.option_groups)) {
    element.option_groups.forEach((group: unknown, index) => {
      if (isJsonObject(group)) lists.push([`option_groups/${index}/options`, group.options]);
    });
  } else if (element.options === undefined) {
    problems.add(`${pointer}/options`, 'must provide options or option_groups');
    return;
  }
  // Radio buttons and checkboxes accept mrkdwn option text; menus accept only plain_text.
  const plainTextOnly = element.type !== 'radio_buttons' && element.type !== 'checkboxes';
  for (const [key, options] of lists) {
    if (options === undefined) continue;
    if (!Array.isArray(options) || options.length === 0) {
      problems.add(`${pointer}/${key}`, 'must provide a non-empty array');
      continue;
    }
    if (options.length > BLOCK_KIT_LIMITS.options) {
      problems.add(`${pointer}/${key}`, `must provide at most ${BLOCK_KIT_LIMITS.options} items`);
    }
    options.forEach((option: unknown, index) => {
      const optionPointer = `${pointer}/${key}/${index}`;
      if (!isJsonObject(option)) {
        problems.add(optionPointer, 'must provide an object');
        return;
      }
      checkTextObject(option.text, `${optionPointer}/text`, { max: BLOCK_KIT_LIMITS.optionText, required: true, plainTextOnly }, problems);
      checkString(option.value, `${optionPointer}/value`, { max: BLOCK_KIT_LIMITS.optionValue }, problems);
    });
  }
}

/** Checks one interactive element (or image) inside a section, actions, context or input block. */
function checkElement(element: unknown, pointer: string, problems: ProblemList): void {
  if (!isJsonObject(element)) {
    problems.add(pointer, 'must provide an object');
    return;
  }
  const type = element.type;
  checkString(element.action_id, `${pointer}/action_id`, { max: BLOCK_KIT_LIMITS.actionId, nonEmpty: true }, problems);
  checkConfirm(element.confirm, `${pointer}/confirm`, problems);
  if (element.placeholder !== undefined) {
    checkTextObject(element.placeholder, `${pointer}/placeholder`, { max: BLOCK_KIT_LIMITS.placeholder, plainTextOnly: true }, problems);
  }

  if (type === 'button') {
    checkTextObject(element.text, `${pointer}/text`, { max: BLOCK_KIT_LIMITS.buttonText, required: true, plainTextOnly: true }, problems);
    checkString(element.value, `${pointer}/value`, { max: BLOCK_KIT_LIMITS.buttonValue }, problems);
    checkString(element.url, `${pointer}/url`, { max: BLOCK_KIT_LIMITS.url, nonEmpty: true }, problems);
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
      problems.add(`${pointer}/style`, 'must be "primary" or "danger"');
    }
    return;
  }
  if (type === 'image') {
    checkImage(element, pointer, problems);
    return;
  }
  if (typeof type === 'string' && OPTION_ELEMENT_TYPES.has(type)) {
    checkOptions(element, pointer, problems);
    return;
  }
  if (typeof type === 'string' && OTHER_ELEMENT_TYPES.has(type)) return;
  problems.add(`${pointer}/type`, `unsupported element type ${JSON.stringify(type)}`);
}

function checkImage(image: JsonObject, pointer: string, problems: ProblemList): void {
  if (image.slack_file === undefined) {
    checkString(image.image_url, `${pointer}/image_url`, { max: BLOCK_KIT_LIMITS.url, required: true, nonEmpty: true }, problems);
  }
  checkString(image.alt_text, `${pointer}/alt_text`, { max: BLOCK_KIT_LIMITS.imageAltText, required: true, nonEmpty: true }, problems);
}

function checkElementList(
  elements: unknown,
  pointer: string,
  max: number,
  problems: ProblemList,
): unknown[] {
  if (!Array.isArray(elements) || elements.length === 0) {
    problems.add(pointer, 'must provide a non-empty array');
    return [];
  }
  if (elements.length > max) problems.add(pointer, `must provide at most ${max} items`);
  return elements;
}

function checkSection(block: JsonObject, pointer: string, problems: ProblemList): void {
  if (block.text === undefined && block.fields === undefined) {
    problems.add(pointer, 'must provide text or fields');
  }
  checkTextObject(block.text, `${pointer}/text`, { max: BLOCK_KIT_LIMITS.sectionText }, problems);
  if (block.fields !== undefined) {
    const fields = checkElementList(block.fields, `${pointer}/fields`, BLOCK_KIT_LIMITS.sectionFields, problems);
    fields.forEach((field, index) => {
      checkTextObject(field, `${pointer}/fields/${index}`, { max: BLOCK_KIT_LIMITS.sectionFieldText, required: true }, problems);
    });
  }
  if (block.accessory !== undefined) checkElement(block.accessory, `${pointer}/accessory`, problems);
}

function checkActions(block: JsonObject, pointer: string, problems: ProblemList): void {
  const elements = checkElementList(block.elements, `${pointer}/elements`, BLOCK_KIT_LIMITS.actionsElements, problems);
  const actionIds = new Set<string>();
  let primaryButtons = 0;
  elements.forEach((element, index) => {
    const elementPointer = `${pointer}/elements/${index}`;
    checkElement(element, elementPointer, problems);
    if (!isJsonObject(element)) return;
    if (element.type === 'button' && element.style === 'primary') {
      primaryButtons += 1;
      // Slack allows one primary button per set of elements.
      if (primaryButtons > 1) problems.add(`${elementPointer}/style`, 'only one primary button is allowed per actions block');
    }
    if (typeof element.action_id === 'string') {
      if (actionIds.has(element.action_id)) {
        problems.add(`${elementPointer}/action_id`, `duplicate action_id ${JSON.stringify(element.action_id)}`);
      }
      actionIds.add(element.action_id);
    }
  });
}

function checkContext(block: JsonObject, pointer: string, problems: ProblemList): void {
  const elements = checkElementList(block.elements, `${pointer}/elements`, BLOCK_KIT_LIMITS.contextElements, problems);
  elements.forEach((element, index) => {
    const elementPointer = `${pointer}/elements/${index}`;
    if (isJsonObject(element) && element.type === 'image') {
      checkImage(element, elementPointer, problems);
      return;
    }
    // Context text has no documented length limit of its own; the message size limit applies.
    checkTextObject(element, elementPointer, { max: Number.MAX_SAFE_INTEGER, required: true }, problems);
  });
}

function checkInput(block: JsonObject, pointer: string, problems: ProblemList): void {
  checkTextObject(block.label, `${pointer}/label`, { max: BLOCK_KIT_LIMITS.inputLabel, required: true, plainTextOnly: true }, problems);
  checkTextObject(block.hint, `${pointer}/hint`, { max: BLOCK_KIT_LIMITS.inputHint, plainTextOnly: true }, problems);
  if (block.element === undefined) {
    problems.add(`${pointer}/element`, 'must provide an element');
  } else {
    checkElement(block.element, `${pointer}/element`, problems);
  }
}

function checkBlock(block: unknown, pointer: string, problems: ProblemList): void {
  if (!isJsonObject(block)) {
    problems.add(pointer, 'must provide an object');
    return;
  }
  const type = block.type;
  if (typeof type !== 'string' || !BLOCK_TYPES.has(type)) {
    problems.add(`${pointer}/type`, `unsupported block type ${JSON.stringify(type)}`);
    return;
  }
  checkString(block.block_id, `${pointer}/block_id`, { max: BLOCK_KIT_LIMITS.blockId, nonEmpty: true }, problems);

  switch (type) {
    case 'section':
      checkSection(block, pointer, problems);
      break;
    case 'header':
      checkTextObject(block.text, `${pointer}/text`, { max: BLOCK_KIT_LIMITS.headerText, required: true, plainTextOnly: true }, problems);
      break;
    case 'context':
      checkContext(block, pointer, problems);
      break;
    case 'actions':
      checkActions(block, pointer, problems);
      break;
    case 'input':
      checkInput(block, pointer, problems);
      break;
    case 'image':
      checkImage(block, pointer, problems);
      break;
    case 'markdown':
      checkString(block.text, `${pointer}/text`, { max: BLOCK_KIT_LIMITS.markdownText, required: true, nonEmpty: true }, problems);
      break;
    case 'rich_text':
      checkElementList(block.elements, `${pointer}/elements`, Number.MAX_SAFE_INTEGER, problems);
      break;
    default:
      // divider, file and video carry no text that this fake checks.
      break;
  }
}

/**
 * Validates a list of blocks for a message or a modal and returns every problem found
 * (an empty list when the blocks are valid). `pointer` is the list's own pointer.
 */
export function validateBlocks(
  blocks: unknown,
  surface: 'message' | 'modal',
  pointer = '/blocks',
): BlockKitProblem[] {
  const problems = new ProblemList();
  if (!Array.isArray(blocks)) {
    problems.add(pointer, 'must provide an array');
    return problems.items;
  }
  const max = surface === 'message' ? BLOCK_KIT_LIMITS.messageBlocks : BLOCK_KIT_LIMITS.modalBlocks;
  if (blocks.length > max) problems.add(pointer, `must provide at most ${max} items`);

  const blockIds = new Set<string>();
  blocks.forEach((block: unknown, index) => {
    const blockPointer = `${pointer}/${index}`;
    checkBlock(block, blockPointer, problems);
    if (isJsonObject(block) && typeof block.block_id === 'string') {
      if (blockIds.has(block.block_id)) {
        problems.add(`${blockPointer}/block_id`, `duplicate block_id ${JSON.stringify(block.block_id)}`);
      }
      blockIds.add(block.block_id);
    }
  });
  return problems.items;
}

/** Validates a modal view as `views.open`, `views.update` and `views.push` receive it. */
export function validateModalView(view: unknown): BlockKitProblem[] {
  const problems = new ProblemList();
  if (!isJsonObject(view)) {
    problems.add('/view', 'must provide an object');
    return problems.items;
  }
  const limits = BLOCK_KIT_LIMITS;
  if (view.type !== 'modal') problems.add('/view/type', 'must be "modal"');
  checkTextObject(view.title, '/view/title', { max: limits.viewTitle, required: true, plainTextOnly: true }, problems);
  checkTextObject(view.submit, '/view/submit', { max: limits.viewButton, plainTextOnly: true }, problems);
  checkTextObject(view.close, '/view/close', { max: limits.viewButton, plainTextOnly: true }, problems);
  checkString(view.private_metadata, '/view/private_metadata', { max: limits.privateMetadata }, problems);
  checkString(view.callback_id, '/view/callback_id', { max: limits.callbackId }, problems);
  checkString(view.external_id, '/view/external_id', { max: limits.externalId }, problems);

  const blocks = view.blocks;
  if (blocks === undefined) {
    problems.add('/view/blocks', 'must provide an array');
    return problems.items;
  }
  problems.items.push(...validateBlocks(blocks, 'modal', '/view/blocks'));
  const hasInput = Array.isArray(blocks) && blocks.some((block: unknown) => isJsonObject(block) && block.type === 'input');
  // Slack requires a submit button on any modal that contains an input block.
  if (hasInput && view.submit === undefined) {
    problems.add('/view/submit', 'must provide submit when the view contains input blocks');
  }
  return problems.items;
}

/** Formats problems as Slack's `response_metadata.messages` entries. */
export function formatProblems(problems: BlockKitProblem[]): string[] {
  return problems.map((problem) => `[ERROR] ${problem.message} [json-pointer:${problem.pointer}]`);
}
