import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Card, TrelloId, toCard } from '../client.ts';
import { rest } from '../kit.ts';

export const Position = z
  .union([z.enum(['top', 'bottom']), z.number().positive()])
  .describe('Where in the list: "top", "bottom" or a positive number.');

export const createCard = rest.action({
  key: 'createCard',
  title: 'Create a Trello card',
  description: 'Add a card to a Trello list with a title, a description, a due date, labels and members.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Trello list', withValue.listId),
  input: z.strictObject({
    listId: TrelloId('list'),
    name: z.string().min(1).max(16_384).describe('The card title, e.g. "Call Ana about the offer".'),
    description: z.string().max(16_384).optional().describe('The description (Markdown).'),
    position: Position.optional(),
    due: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Due date and time (ISO), e.g. "2026-12-24T17:00:00Z".'),
    labelIds: z.array(TrelloId('label')).max(50).optional().describe('Label ids of the board.'),
    memberIds: z.array(TrelloId('member')).max(50).optional().describe('Member ids to add.'),
    sourceUrl: z.url().optional().describe('A link attached to the card, e.g. the form entry it came from.'),
  }),
  output: Card,
  http: {
    method: 'POST',
    path: '/cards',
    json: (input) => ({
      idList: input.listId,
      name: input.name,
      desc: input.description,
      pos: input.position,
      due: input.due,
      idLabels: input.labelIds?.join(','),
      idMembers: input.memberIds?.join(','),
      urlSource: input.sourceUrl,
    }),
  },
  project: (response) => toCard(response.body),
});
