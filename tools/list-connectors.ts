import { z } from 'zod';
import { ok } from '../lib/index.ts';
import { defineTool } from './define-tool.ts';
import { markThirdParty, type Untrusted, UntrustedValue } from './untrusted.ts';

export const listConnectorsTool = defineTool({
  name: 'list_connectors',
  effect: 'read',
  description:
    'List every available action (including core nodes such as core.if) and trigger type, grouped by connector, with whether each action writes to the outside world and which credential type it needs. Titles of imported (OpenAPI) actions are third-party text, marked UNTRUSTED. Use get_action for parameters.',
  input: z.object({}),
  output: z.object({
    connectors: z.array(
      z.object({
        id: z.string(),
        actions: z.array(
          z.object({
            uses: z.string(),
            title: z.union([z.string(), UntrustedValue]),
            effect: z.string(),
            credentialType: z.string().nullable(),
          }),
        ),
      }),
    ),
    triggers: z.array(z.object({ type: z.string(), title: z.string() })),
  }),
  async run(_input, ctx) {
    const groups = new Map<
      string,
      { uses: string; title: string | Untrusted; effect: string; credentialType: string | null }[]
    >();
    for (const entry of ctx.catalog.actions()) {
      const id = entry.uses.split('.')[0] ?? entry.uses;
      const list = groups.get(id) ?? [];
      list.push({
        uses: entry.uses,
        title: entry.origin === 'imported' ? markThirdParty(entry.title) : entry.title,
        effect: entry.effect,
        credentialType: entry.credentialType ?? null,
      });
      groups.set(id, list);
    }
    return ok({
      connectors: [...groups.entries()].map(([id, actions]) => ({ id, actions })),
      triggers: [
        { type: 'manual', title: 'Started by hand (vmesh run, the API or the chat).' },
        { type: 'webhook', title: 'An HTTP request to the workflow hook URL; the body is trigger.body.' },
        { type: 'schedule', title: 'A cron schedule (trigger.cron, optional trigger.timezone).' },
        { type: 'chat', title: 'A message in the conversation where the workflow was made.' },
        ...ctx.catalog.triggers().map((trigger) => ({ type: trigger.type, title: trigger.title })),
      ],
    });
  },
});
