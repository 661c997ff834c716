import { z } from 'zod';
import { definePollTrigger } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { searchPages } from '../actions/objects.ts';
import { CrmRecord, type HubspotCredential, toCrmRecord } from '../client.ts';

export const ContactCreatedFilters = z.strictObject({
  properties: z
    .array(z.string().regex(/^[A-Za-z0-9_]{1,100}$/))
    .max(100)
    .optional()
    .describe(
      'The contact properties the run gets, e.g. ["email", "firstname", "lifecyclestage"]. Default: HubSpot’s defaults.',
    ),
  lifecycleStage: z
    .string()
    .regex(/^[a-z0-9_]{1,64}$/)
    .optional()
    .describe('Only contacts created with this lifecycle stage, e.g. "lead".'),
  intervalSeconds: z
    .number()
    .int()
    .min(30)
    .max(86_400)
    .default(60)
    .describe('Seconds between two polls (30–86400). Default 60.'),
});

const NoState = z.strictObject({});
const FIRST_POLL_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/** New contacts reach HubSpot's search index a few seconds late: ask a minute before the watermark. */
const INDEX_DELAY_MS = 60_000;
const MAX_ITEMS = 400;

export const contactCreated = definePollTrigger<
  typeof ContactCreatedFilters,
  typeof CrmRecord,
  typeof NoState,
  HubspotCredential,
  RestClient
>({
  key: 'contactCreated',
  title: 'HubSpot contact created',
  description:
    'Starts the workflow once for each new contact in HubSpot CRM (searched by createdate every intervalSeconds, default 60). Contacts there at activation start nothing.',
  kind: 'poll',
  with: ContactCreatedFilters,
  data: CrmRecord,
  state: NoState,
  sample: {
    id: '51',
    properties: {
      email: 'ana@example.com',
      firstname: 'Ana',
      lastname: 'Lima',
      createdate: '2026-12-04T09:30:00.000Z',
      hs_object_id: '51',
    },
    createdAt: '2026-12-04T09:30:00.000Z',
    updatedAt: '2026-12-04T09:30:00.000Z',
    archived: false,
  } satisfies CrmRecord,
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  async poll(ctx, filters, request) {
    const from = request.after ? request.after.at - INDEX_DELAY_MS : Date.now() - FIRST_POLL_LOOKBACK_MS;
    const conditions = [
      { propertyName: 'createdate', operator: 'GTE', value: String(from) },
      ...(filters.lifecycleStage
        ? [{ propertyName: 'lifecyclestage', operator: 'EQ', value: filters.lifecycleStage }]
        : []),
    ];
    const { items } = await searchPages(
      ctx.client,
      'contacts',
      {
        filterGroups: [{ filters: conditions }],
        sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' }],
        ...(filters.properties ? { properties: [...new Set(['createdate', ...filters.properties])] } : {}),
      },
      MAX_ITEMS,
      ctx.signal,
    );
    return {
      items: items.map((raw) => {
        const contact = toCrmRecord(raw);
        return { id: contact.id, at: Date.parse(contact.createdAt), data: contact };
      }),
    };
  },
});
