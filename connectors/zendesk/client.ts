import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { basicStyle, bearerStyle } from '../sdk/auth/header-styles.ts';
import type { RestApi, VendorError } from '../sdk/rest/index.ts';

export const ZendeskCredential = z
  .strictObject({
    subdomain: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'the subdomain of your Zendesk, e.g. "acme" for acme.zendesk.com')
      .describe('Your Zendesk’s subdomain: "acme" for https://acme.zendesk.com.'),
    email: z.email().optional().describe('The agent’s email (with apiToken).'),
    apiToken: z
      .string()
      .min(8)
      .max(512)
      .optional()
      .describe('An API token from Admin Center → Apps and integrations → Zendesk API.'),
    accessToken: z
      .string()
      .min(8)
      .max(4096)
      .optional()
      .describe('Or: an OAuth access token (sent as Bearer).'),
  })
  .refine(
    (credential) => Boolean(credential.accessToken) || Boolean(credential.email && credential.apiToken),
    {
      message: 'Give email and apiToken, or an OAuth accessToken.',
    },
  );
export type ZendeskCredential = z.infer<typeof ZendeskCredential>;

/** The agent-side username of API-token auth: `email/token`. */
export function tokenUser(email: string): string {
  return `${email}/token`;
}

const ErrorBody = z.object({
  error: z.union([
    z.string(),
    z.object({ title: z.string().optional(), message: z.string().optional() }).loose(),
  ]),
  description: z.string().optional(),
  details: z
    .record(
      z.string(),
      z.array(z.object({ description: z.string().optional(), error: z.string().optional() }).loose()),
    )
    .optional(),
});

/**
 * Zendesk's error bodies: `{ error: "RecordInvalid", description, details: { field: [{ description }] } }`, or
 * `{ error: { title, message } }`, or `{ error: "Couldn't authenticate you" }`.
 */
export function zendeskVendorError(body: unknown): VendorError | undefined {
  const parsed = ErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const { error, description, details } = parsed.data;
  const code = typeof error === 'string' ? error : (error.title ?? 'Error');
  const fieldMessages = Object.entries(details ?? {})
    .slice(0, 20)
    .flatMap(([field, problems]) =>
      problems.slice(0, 5).map((problem) => problem.description ?? `${field}: ${problem.error ?? 'invalid'}`),
    );
  const message = [
    typeof error === 'string' ? (description ?? error) : (error.message ?? code),
    ...fieldMessages,
  ].join('; ');
  const fields = Object.keys(details ?? {});
  return {
    message,
    vendorCode: code,
    ...(fields.length > 0 ? { hint: `Change ${fields.join(', ')} as the message says.` } : {}),
  };
}

export function zendeskApi(credential: ZendeskCredential | undefined): RestApi<ZendeskCredential> {
  return {
    connector: 'zendesk',
    baseUrl: `https://${credential?.subdomain ?? 'your-subdomain'}.zendesk.com/api/v2`,
    auth: (given) =>
      given.accessToken
        ? bindAuth(bearerStyle, { token: given.accessToken })
        : bindAuth(basicStyle, { username: tokenUser(given.email ?? ''), password: given.apiToken ?? '' }),
    vendorError: (body) => zendeskVendorError(body),
    hints: {
      401: 'Zendesk refused the credential (a deleted API token, a wrong email, or an expired OAuth token): make a new token in Admin Center → Apps and integrations → Zendesk API and store it with `vmesh credentials set NAME --type zendesk`.',
      403: 'The agent may not do this (an end user, or a light agent editing tickets); use an agent or admin account.',
      404: 'Check the ticket id: it does not exist in this Zendesk, or was deleted.',
      422: 'Zendesk refused a field value; the message names it.',
    },
  };
}

const RawTicket = z.object({
  id: z.number().int(),
  url: z.string().optional(),
  subject: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
  priority: z.string().nullable().optional(),
  type: z.string().nullable().optional(),
  tags: z.array(z.string()).max(1000).default([]),
  requester_id: z.number().int().nullable().optional(),
  assignee_id: z.number().int().nullable().optional(),
  group_id: z.number().int().nullable().optional(),
  external_id: z.string().nullable().optional(),
  created_at: z.string().nullable().optional(),
  updated_at: z.string().nullable().optional(),
});

export const Ticket = z.object({
  id: z.number().int().describe('The ticket number.'),
  url: z.string().describe('Link to the ticket in the agent workspace.'),
  subject: z.string().describe('Subject.'),
  description: z.string().describe('The first comment’s text.'),
  status: z.string().nullable().describe('new, open, pending, hold, solved or closed.'),
  priority: z.string().nullable().describe('low, normal, high or urgent (or null).'),
  type: z.string().nullable().describe('problem, incident, question or task (or null).'),
  tags: z.array(z.string()).describe('Tags.'),
  requesterId: z.number().int().nullable().describe('User id of the requester.'),
  assigneeId: z.number().int().nullable().describe('User id of the assignee.'),
  groupId: z.number().int().nullable().describe('Group id.'),
  externalId: z.string().nullable().describe('Your own id for it, when set.'),
  createdAt: z.string().nullable().describe('When it was created (ISO).'),
  updatedAt: z.string().nullable().describe('When it last changed (ISO).'),
});
export type Ticket = z.infer<typeof Ticket>;

function agentUrl(apiUrl: string | undefined, id: number): string {
  try {
    return new URL(`/agent/tickets/${id}`, new URL(apiUrl ?? '')).href;
  } catch {
    return `/agent/tickets/${id}`;
  }
}

export function toTicket(raw: unknown): Ticket {
  const ticket = RawTicket.parse(raw);
  return {
    id: ticket.id,
    url: agentUrl(ticket.url, ticket.id),
    subject: ticket.subject ?? '',
    description: ticket.description ?? '',
    status: ticket.status ?? null,
    priority: ticket.priority ?? null,
    type: ticket.type ?? null,
    tags: ticket.tags,
    requesterId: ticket.requester_id ?? null,
    assigneeId: ticket.assignee_id ?? null,
    groupId: ticket.group_id ?? null,
    externalId: ticket.external_id ?? null,
    createdAt: ticket.created_at ?? null,
    updatedAt: ticket.updated_at ?? null,
  };
}

export const TicketEnvelope = z.object({ ticket: z.unknown() });

export const TicketId = z
  .union([z.number().int().positive(), z.string().regex(/^\d{1,15}$/, 'a ticket number')])
  .transform((value) => Number(value))
  .describe('The ticket number, e.g. 35436.');

export const Priority = z.enum(['low', 'normal', 'high', 'urgent']).describe('low, normal, high or urgent.');
export const Status = z
  .enum(['new', 'open', 'pending', 'hold', 'solved', 'closed'])
  .describe('new, open, pending, hold, solved or closed.');
export const TicketType = z
  .enum(['problem', 'incident', 'question', 'task'])
  .describe('problem, incident, question or task.');
export const Tags = z
  .array(z.string().regex(/^[^\s,]{1,80}$/, 'a tag without spaces or commas'))
  .max(100)
  .describe('Tags without spaces, e.g. ["vip", "billing"].');
