import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Card, TrelloId, toCard } from '../client.ts';
import { rest } from '../kit.ts';
import { Position } from './create-card.ts';

export const moveCard = rest.action({
  key: 'moveCard',
  title: 'Move a Trello card',
  description:
    'Move a Trello card to another list (e.g. from "Doing" to "Done"), optionally on another board or position.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Trello card', withValue.cardId, { 'to list': withValue.listId }),
  input: z.strictObject({
    cardId: TrelloId('card'),
    listId: TrelloId('list').describe('The list to move it to (24 hex characters).'),
    boardId: TrelloId('board').optional().describe('The board of that list, when it is another board.'),
    position: Position.optional(),
  }),
  output: Card,
  http: {
    method: 'PUT',
    path: '/cards/{cardId}',
    json: (input) => ({ idList: input.listId, idBoard: input.boardId, pos: input.position }),
  },
  project: (response) => toCard(response.body),
});
