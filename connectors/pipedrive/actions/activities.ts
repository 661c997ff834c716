import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { dataOf, PipedriveId } from '../client.ts';
import { rest } from '../kit.ts';

const ActivityBody = z.object({
  id: z.number().int(),
  subject: z.string(),
  type: z.string(),
  due_date: z.string().nullable().optional(),
  due_time: z.string().nullable().optional(),
  duration: z.string().nullable().optional(),
  done: z.boolean().default(false),
  deal_id: z.number().int().nullable().optional(),
  person_id: z.number().int().nullable().optional(),
  org_id: z.number().int().nullable().optional(),
  owner_id: z.number().int().nullable().optional(),
  note: z.string().nullable().optional(),
  add_time: z.string(),
  update_time: z.string().nullable().optional(),
});

export const Activity = z.object({
  id: z.number().int().describe('The activity id.'),
  subject: z.string().describe('Its subject.'),
  type: z.string().describe('Its type: call, meeting, task, deadline, email, lunch or a custom one.'),
  dueDate: z.string().nullable().describe('Due date, YYYY-MM-DD.'),
  dueTime: z.string().nullable().describe('Due time in UTC, HH:MM.'),
  duration: z.string().nullable().describe('Duration, HH:MM.'),
  done: z.boolean().describe('Whether it is done.'),
  dealId: z.number().int().nullable().describe('The deal it is on.'),
  personId: z.number().int().nullable().describe('Its primary participant (person).'),
  orgId: z.number().int().nullable().describe('The organization it is on.'),
  ownerId: z.number().int().nullable().describe('The user it is assigned to.'),
  note: z.string().nullable().describe('Its note (HTML).'),
  addTime: z.string().describe('When it was created (ISO).'),
});

function toActivity(raw: unknown): z.infer<typeof Activity> {
  const activity = ActivityBody.parse(raw);
  return {
    id: activity.id,
    subject: activity.subject,
    type: activity.type,
    dueDate: activity.due_date ?? null,
    dueTime: activity.due_time ?? null,
    duration: activity.duration ?? null,
    done: activity.done,
    dealId: activity.deal_id ?? null,
    personId: activity.person_id ?? null,
    orgId: activity.org_id ?? null,
    ownerId: activity.owner_id ?? null,
    note: activity.note ?? null,
    addTime: activity.add_time,
  };
}

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const activityFields = {
  type: z
    .string()
    .regex(/^[a-z0-9_]{1,64}$/)
    .optional()
    .describe(
      'The activity type’s key: "call", "meeting", "task", "deadline", "email", "lunch" or a custom one.',
    ),
  dueDate: z.iso.date().optional().describe('Due date, YYYY-MM-DD, e.g. "2026-12-10".'),
  dueTime: HhMm.optional().describe('Due time in UTC, HH:MM, e.g. "14:30".'),
  duration: HhMm.optional().describe('Duration, HH:MM, e.g. "00:30".'),
  dealId: PipedriveId.optional().describe('The deal it belongs to.'),
  personId: PipedriveId.optional().describe('The person it is with (its primary participant).'),
  orgId: PipedriveId.optional().describe('The organization it belongs to.'),
  ownerId: PipedriveId.optional().describe('The user it is assigned to; default the credential’s user.'),
  note: z
    .string()
    .max(100_000)
    .optional()
    .describe('A note (HTML allowed), e.g. "Ask about the rollout date."'),
  done: z.boolean().optional().describe('Whether it is done.'),
};

type ActivityFields = {
  subject?: string | undefined;
  type?: string | undefined;
  dueDate?: string | undefined;
  dueTime?: string | undefined;
  duration?: string | undefined;
  dealId?: number | undefined;
  personId?: number | undefined;
  orgId?: number | undefined;
  ownerId?: number | undefined;
  note?: string | undefined;
  done?: boolean | undefined;
};

/** API v2: the person goes in as the primary participant (its person_id is read-only). */
function activityJson(input: ActivityFields) {
  return {
    subject: input.subject,
    type: input.type,
    due_date: input.dueDate,
    due_time: input.dueTime,
    duration: input.duration,
    deal_id: input.dealId,
    org_id: input.orgId,
    owner_id: input.ownerId,
    note: input.note,
    done: input.done,
    participants: input.personId === undefined ? undefined : [{ person_id: input.personId, primary: true }],
  };
}

export const createActivity = rest.action({
  key: 'createActivity',
  title: 'Create a Pipedrive activity',
  description:
    'Schedule a call, meeting, task or other activity in Pipedrive, on a deal and/or with a person, with a due date and a note (API v2).',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Pipedrive deal', withValue.dealId) ??
    describeNamed('the Pipedrive person', withValue.personId),
  input: z.strictObject({
    subject: z.string().min(1).max(255).describe('What it is, e.g. "Demo call with Ana".'),
    ...activityFields,
  }),
  output: Activity,
  http: { method: 'POST', path: '/v2/activities', json: (input) => activityJson(input) },
  project: (response) => toActivity(dataOf(response.body)),
});

export const updateActivity = rest.action({
  key: 'updateActivity',
  title: 'Update a Pipedrive activity',
  description:
    'Change a Pipedrive activity by id: mark it done, move its due date, edit its note; fields not given stay.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Pipedrive activity', withValue.activityId),
  input: z.strictObject({
    activityId: PipedriveId.describe('The activity to change, e.g. 8.'),
    subject: z.string().min(1).max(255).optional().describe('A new subject.'),
    ...activityFields,
  }),
  output: Activity,
  http: { method: 'PATCH', path: '/v2/activities/{activityId}', json: (input) => activityJson(input) },
  project: (response) => toActivity(dataOf(response.body)),
});
