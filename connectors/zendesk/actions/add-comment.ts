import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Status, TicketEnvelope, TicketId, toTicket } from '../client.ts';
import { rest } from '../kit.ts';

const Audit = z
  .object({
    audit: z
      .object({
        id: z.number().int(),
        events: z
          .array(z.object({ id: z.number().int(), type: z.string() }).loose())
          .max(1000)
          .default([]),
      })
      .loose()
      .optional(),
  })
  .loose();

export const addComment = rest.action({
  key: 'addComment',
  title: 'Reply on a Zendesk ticket',
  description:
    'Add a public reply (emailed to the requester) or an internal note to a Zendesk ticket, optionally changing its status.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Zendesk ticket', withValue.ticketId),
  input: z.strictObject({
    ticketId: TicketId,
    body: z.string().min(1).max(65_000).describe('The comment text, e.g. "Your refund was issued today."'),
    public: z
      .boolean()
      .default(true)
      .describe('true: a public reply the requester sees (default); false: an internal note.'),
    status: Status.optional().describe('Also set the status, e.g. "pending" or "solved".'),
  }),
  output: z.object({
    ticketId: z.number().int().describe('The ticket.'),
    commentId: z.number().int().nullable().describe('The new comment’s id.'),
    public: z.boolean().describe('Whether it was public.'),
    status: z.string().nullable().describe('The ticket’s status afterwards.'),
  }),
  http: {
    method: 'PUT',
    path: '/tickets/{ticketId}.json',
    json: (input) => ({
      ticket: { comment: { body: input.body, public: input.public }, status: input.status },
    }),
  },
  project: (response, input) => {
    const ticket = toTicket(TicketEnvelope.parse(response.body).ticket);
    const comment = Audit.parse(response.body).audit?.events.find((event) => event.type === 'Comment');
    return {
      ticketId: input.ticketId,
      commentId: comment?.id ?? null,
      public: input.public,
      status: ticket.status,
    };
  },
});
