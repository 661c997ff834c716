import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { TrelloId } from '../client.ts';
import { rest } from '../kit.ts';

const CommentAction = z.object({
  id: z.string(),
  date: z.string().optional(),
  data: z.object({ text: z.string().optional() }).loose().optional(),
});

export const addComment = rest.action({
  key: 'addComment',
  title: 'Comment on a Trello card',
  description: 'Add a comment to a Trello card (Markdown, @mentions notify members).',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Trello card', withValue.cardId),
  input: z.strictObject({
    cardId: TrelloId('card'),
    text: z.string().min(1).max(16_384).describe('The comment, e.g. "Customer confirmed the delivery date."'),
  }),
  output: z.object({
    id: z.string().describe('The comment’s action id.'),
    cardId: z.string().describe('The card.'),
    date: z.string().nullable().describe('When it was posted (ISO).'),
  }),
  http: { method: 'POST', path: '/cards/{cardId}/actions/comments', json: (input) => ({ text: input.text }) },
  project: (response, input) => {
    const comment = CommentAction.parse(response.body);
    return { id: comment.id, cardId: input.cardId, date: comment.date ?? null };
  },
});
