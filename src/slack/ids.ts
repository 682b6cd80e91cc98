/** Slack action ids, callback ids and block ids the bot uses, in one place. */
export const ACTION = {
  approve: 'espo_sso_approve',
  reject: 'espo_sso_reject',
  instanceSelect: 'espo_sso_instance',
} as const;

export const VIEW = {
  setup: 'espo_sso_setup',
} as const;

export const BLOCK = {
  /** The actions block of a request message; its block_id carries the request id. */
  decision: (requestId: string): string => `decision:${requestId}`,
  modalInstance: 'instance',
} as const;

/** The slash command. */
export const COMMAND = '/espo-sso';
