import { z } from 'zod';
import { ok } from '../lib/index.ts';
import { defineTool } from './define-tool.ts';
import { markThirdParty, UntrustedValue } from './untrusted.ts';

export const listWorkflowsTool = defineTool({
  name: 'list_workflows',
  effect: 'read',
  description:
    'List the stored workflows: id, name (written by people, marked UNTRUSTED), whether active, current version and trigger type.',
  input: z.object({}),
  output: z.object({
    workflows: z.array(
      z.object({
        id: z.string(),
        name: UntrustedValue,
        active: z.boolean(),
        currentVersion: z.number(),
        triggerType: z.string(),
      }),
    ),
  }),
  async run(_input, ctx) {
    const rows = await ctx.workflows.list();
    return ok({
      workflows: rows.map((row) => ({
        id: row.id,
        name: markThirdParty(row.name),
        active: row.active,
        currentVersion: row.currentVersion,
        triggerType: row.triggerType,
      })),
    });
  },
});
