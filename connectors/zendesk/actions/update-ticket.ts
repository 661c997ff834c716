import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Priority, Status, Tags, Ticket, TicketEnvelope, TicketId, TicketType, toTicket } from '../client.ts';
import { rest } from '../kit.ts';

export const updateTicket = rest.action({
  key: 'updateTicket',
  title: 'Update a Zendesk ticket',
  description:
    'Change a Zendesk ticket’s status, priority, type, subject, tags, assignee or group (use addComment to reply).',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Zendesk ticket', withValue.ticketId),
  input: z
    .strictObject({
      ticketId: TicketId,
      status: Status.optional(),
      priority: Priority.optional(),
      type: TicketType.optional(),
      subject: z.string().min(1).max(255).optional().describe('A new subject.'),
      tags: Tags.optional().describe('Replaces all tags, e.g. ["vip"].'),
      assigneeId: z.number().int().positive().optional().describe('User id of the agent to assign.'),
      groupId: z.number().int().positive().optional().describe('Group id to assign it to.'),
    })
    .refine(
      (input) => Object.entries(input).some(([field, value]) => field !== 'ticketId' && value !== undefined),
      { message: 'Give at least one field to change (status, priority, tags, …).' },
    ),
  output: Ticket,
  http: {
    method: 'PUT',
    path: '/tickets/{ticketId}.json',
    json: (input) => ({
      ticket: {
        status: input.status,
        priority: input.priority,
        type: input.type,
        subject: input.subject,
        tags: input.tags,
        assignee_id: input.assigneeId,
        group_id: input.groupId,
      },
    }),
  },
  project: (response) => toTicket(TicketEnvelope.parse(response.body).ticket),
});
