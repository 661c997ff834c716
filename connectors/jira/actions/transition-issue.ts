import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { fillPath, type RestClient } from '../../sdk/rest/index.ts';
import { textToAdf } from '../adf.ts';
import { IssueKey, type JiraCredential } from '../client.ts';

const Transitions = z.object({
  transitions: z
    .array(
      z
        .object({ id: z.string(), name: z.string(), to: z.object({ name: z.string() }).loose().optional() })
        .loose(),
    )
    .max(500),
});

export const TransitionIssueInput = z.strictObject({
  issueKey: IssueKey,
  transition: z
    .string()
    .min(1)
    .max(100)
    .describe(
      'The transition’s name or the status to move to, as the issue’s workflow shows it, e.g. "Done".',
    ),
  comment: z
    .string()
    .max(32_000)
    .optional()
    .describe('A comment added with the transition, e.g. "Fixed in 2.4".'),
});

const TransitionOutput = z.object({
  issueKey: z.string().describe('The issue that moved.'),
  transitionId: z.string().describe('The id of the transition that was made.'),
  status: z.string().describe('The status it moved to.'),
});

/** Two calls: the issue's available transitions (GET), then the one whose name or target status matches (POST). */
export const transitionIssue = defineAction<
  typeof TransitionIssueInput,
  typeof TransitionOutput,
  JiraCredential,
  RestClient
>({
  key: 'transitionIssue',
  title: 'Move a Jira issue to another status',
  description:
    'Move a Jira issue through its workflow by the transition or target status name (e.g. "In Progress", "Done"), optionally with a comment.',
  effect: 'write',
  // A repeated transition may no longer be available from the new status: not safe to run twice.
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Jira issue', withValue.issueKey),
  input: TransitionIssueInput,
  output: TransitionOutput,
  async run(input, ctx) {
    const path = fillPath('/issue/{issueKey}/transitions', { issueKey: input.issueKey });
    const listed = Transitions.parse((await ctx.client.send({ method: 'GET', path }, ctx.signal)).body);
    const wanted = input.transition.trim().toLowerCase();
    const match =
      listed.transitions.find((transition) => transition.name.toLowerCase() === wanted) ??
      listed.transitions.find((transition) => transition.to?.name.toLowerCase() === wanted);
    if (!match) {
      const names = listed.transitions.map((transition) => `"${transition.name}"`).join(', ') || 'none';
      throw new ConnectorError({
        code: 'E_REQUEST',
        message: `jira: issue ${input.issueKey} has no transition "${input.transition}" from its current status (available: ${names}).`,
        retryable: false,
        hint: 'Use one of the available transition names; the issue may already be in that status.',
      });
    }
    await ctx.client.send(
      {
        method: 'POST',
        path,
        json: {
          transition: { id: match.id },
          ...(input.comment ? { update: { comment: [{ add: { body: textToAdf(input.comment) } }] } } : {}),
        },
      },
      ctx.signal,
    );
    return { issueKey: input.issueKey, transitionId: match.id, status: match.to?.name ?? match.name };
  },
});
