import type { Reply } from '../agent/index.ts';
import { describeError } from '../lib/index.ts';

/** What a bot shows when the conversation service itself failed (it answers its own errors as replies). */
export const agentFailureReply = (error: unknown): Reply => ({
  type: 'error',
  code: 'E_INTERNAL',
  message: `The agent could not answer: ${describeError(error)}`,
});
