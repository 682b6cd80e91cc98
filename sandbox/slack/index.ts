/** The fake Slack side: Web API, response URLs, signed requests to the bot and transcripts. */
export {
  FakeSlack,
  type FakeSlackOptions,
  type RateLimitRule,
  type SlackApiCall,
} from './fake-slack';
export {
  type FakeChannelSeed,
  type FakeUserGroupSeed,
  type FakeUserSeed,
  Workspace,
  type WorkspaceOptions,
} from './workspace';
export { type FakeEphemeral, type FakeMessage, type FakeMessageVersion } from './conversations';
export { type FakeView, MAX_VIEW_STACK, TRIGGER_TTL_MS, type TriggerOptions } from './views';
export {
  type FakeResponseUrlPost,
  RESPONSE_URL_MAX_POSTS,
  RESPONSE_URL_TTL_MS,
  type ResponseUrlContext,
  type ResponseUrlEffect,
} from './response-urls';
export {
  BLOCK_KIT_LIMITS,
  type BlockKitProblem,
  type JsonObject,
  validateBlocks,
  validateModalView,
} from './block-kit';
export { MAX_BLOCKS_JSON_LENGTH, MAX_MESSAGE_TEXT_LENGTH } from './web-api-methods';
export {
  type BlockAction,
  type SendOptions,
  type SignatureHeaders,
  type SignedResponse,
  type SlashCommand,
  type ViewSubmission,
  type WorkspaceFields,
  sendBlockAction,
  sendSigned,
  sendSlashCommand,
  sendViewSubmission,
  signSlackRequest,
} from './signed-requests';
export { renderTranscript, type TranscriptOptions } from './transcript';
