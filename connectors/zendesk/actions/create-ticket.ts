import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Priority, Status, Tags, Ticket, TicketEnvelope, TicketType, toTicket } from '../client.ts';
import { rest } from '../kit.ts';

export const createTicket = rest.action({
  key: 'createTicket',
  title: 'Create a Zendesk ticket',
  description:
    'Open a Zendesk Support ticket for a requester (by email) with a subject, the first comment, priority, type, tags and assignee.',
  effect: 'write',
  // Zendesk keeps an Idempotency-Key for two hours only: a retry much later may open a second ticket.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Zendesk requester', withValue.requesterEmail ?? 'the agent'),
  input: z.strictObject({
    subject: z.string().min(1).max(255).describe('Subject, e.g. "Refund for order 1042".'),
    body: z.string().min(1).max(65_000).describe('The first comment, e.g. the customer’s message.'),
    public: z
      .boolean()
      .default(true)
      .describe('Whether the first comment is public (default) or an internal note.'),
    requesterEmail: z
      .email()
      .optional()
      .describe('The requester’s email; a new end user is created when unknown.'),
    requesterName: z.string().min(1).max(255).optional().describe('The requester’s name, e.g. "Ana Silva".'),
    priority: Priority.optional(),
    type: TicketType.optional(),
    status: Status.optional(),
    tags: Tags.optional(),
    assigneeId: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('User id of the agent to assign, e.g. 368920.'),
    groupId: z.number().int().positive().optional().describe('Group id to assign it to.'),
    externalId: z.string().min(1).max(255).optional().describe('Your own id for it, e.g. "order-1042".'),
  }),
  output: Ticket,
  http: {
    method: 'POST',
    path: '/tickets.json',
    json: (input) => ({
      ticket: {
        subject: input.subject,
        comment: { body: input.body, public: input.public },
        ...(input.requesterEmail
          ? {
              requester: {
                email: input.requesterEmail,
                ...(input.requesterName ? { name: input.requesterName } : {}),
              },
            }
          : {}),
        priority: input.priority,
        type: input.type,
        status: input.status,
        tags: input.tags,
        assignee_id: input.assigneeId,
        group_id: input.groupId,
        external_id: input.externalId,
      },
    }),
    headers: (_, ctx) => ({ 'idempotency-key': ctx.idempotencyKey }),
  },
  project: (response) => toTicket(TicketEnvelope.parse(response.body).ticket),
});
