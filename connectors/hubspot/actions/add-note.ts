import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CrmRecord, HubspotId, toCrmRecord } from '../client.ts';
import { rest } from '../kit.ts';

/** HubSpot-defined association type ids from a note to a contact, a company and a deal. */
export const NOTE_ASSOCIATION_TYPES = { contacts: 202, companies: 190, deals: 214 } as const;

const Ids = (what: string) =>
  z.array(HubspotId).max(100).optional().describe(`The ${what} ids the note goes on, e.g. ["51"].`);

export const AddNoteInput = z
  .strictObject({
    body: z
      .string()
      .min(1)
      .max(65_536)
      .describe(
        'The note text (HubSpot shows simple HTML such as <b> and <br>), e.g. "Called Ana: wants a demo."',
      ),
    contactIds: Ids('contact'),
    companyIds: Ids('company'),
    dealIds: Ids('deal'),
    timestamp: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When it happened, shown on the timeline, e.g. "2026-12-04T09:30:00Z". Default: now.'),
  })
  .refine(
    (input) =>
      (input.contactIds?.length ?? 0) + (input.companyIds?.length ?? 0) + (input.dealIds?.length ?? 0) > 0,
    {
      message: 'name at least one contact, company or deal the note goes on',
      path: ['contactIds'],
    },
  );

export const addNote = rest.action({
  key: 'addNote',
  title: 'Add a note in HubSpot',
  description:
    'Add a note to the timeline of HubSpot contacts, companies and/or deals (one note associated with each record named).',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed(
      'the HubSpot contact',
      Array.isArray(withValue.contactIds) ? withValue.contactIds[0] : undefined,
    ) ??
    describeNamed(
      'the HubSpot company',
      Array.isArray(withValue.companyIds) ? withValue.companyIds[0] : undefined,
    ) ??
    describeNamed('the HubSpot deal', Array.isArray(withValue.dealIds) ? withValue.dealIds[0] : undefined),
  input: AddNoteInput,
  output: CrmRecord,
  http: {
    method: 'POST',
    path: '/crm/v3/objects/notes',
    json: (input) => {
      const to = (ids: string[] | undefined, typeId: number) =>
        (ids ?? []).map((id) => ({
          to: { id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }],
        }));
      return {
        properties: { hs_note_body: input.body, hs_timestamp: input.timestamp ?? new Date().toISOString() },
        associations: [
          ...to(input.contactIds, NOTE_ASSOCIATION_TYPES.contacts),
          ...to(input.companyIds, NOTE_ASSOCIATION_TYPES.companies),
          ...to(input.dealIds, NOTE_ASSOCIATION_TYPES.deals),
        ],
      };
    },
  },
  project: (response) => toCrmRecord(response.body),
});
