import type { ConnectorDefinition, WebhookChallenge } from '../../connectors/index.ts';
import { findWebhookTrigger } from './connector-triggers.ts';

/** How `GET /hooks/:workflowId` is answered: the challenge's text, a refusal, or no such endpoint. */
export type ChallengeAnswer =
  | { status: 200; body: string }
  | { status: 403; message: string; hint: string }
  | { status: 404 };

const MAX_PARAMS = 50;
const MAX_VALUE_LENGTH = 2_000;

/** The query's parameters as strings: the first value of a repeated one, at most 50, each cut to 2,000 characters. */
export function firstValues(query: unknown): Record<string, string> {
  if (typeof query !== 'object' || query === null) return {};
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(query).slice(0, MAX_PARAMS)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') values[name] = first.slice(0, MAX_VALUE_LENGTH);
  }
  return values;
}

/**
 * The answer of the workflow's trigger to a sender's GET check of its hook URL: only connector webhook triggers
 * that declare `challenge` take one; the check gets the trigger's filters as the workflow wrote them and its hook secrets.
 */
export function answerHookChallenge(
  connectors: readonly ConnectorDefinition[],
  trigger: { type: string; with?: unknown },
  request: WebhookChallenge,
  secrets: readonly string[],
): ChallengeAnswer {
  const definition = findWebhookTrigger(connectors, trigger.type);
  if (!definition?.challenge) return { status: 404 };
  const filters = definition.with.safeParse(trigger.with ?? {});
  const body = filters.success ? definition.challenge(request, filters.data, secrets) : undefined;
  if (body === undefined) {
    return {
      status: 403,
      message: `The ${trigger.type} URL check was refused: its verify token is not this workflow's.`,
      hint: `Give the sender the verify token the ${trigger.type} trigger's doc says how to get (it comes from the workflow's hook secret).`,
    };
  }
  return { status: 200, body };
}
