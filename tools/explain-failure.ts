import { z } from 'zod';
import { ok } from '../lib/index.ts';
import { RunStatus } from '../runtime/index.ts';
import { defineTool } from './define-tool.ts';
import { failedStepOf, failureFingerprint } from './failure-fingerprint.ts';
import { loadRun } from './run-view.ts';
import { docSnippet, markThirdParty, markUntrusted, shrink, UntrustedValue } from './untrusted.ts';

export const explainFailureTool = defineTool({
  name: 'explain_failure',
  effect: 'read',
  description:
    "Gather what is needed to fix a failed run: the failing step, its real error and input (secrets redacted; marked UNTRUSTED), the node as written in the document, the action's parameter schema and docs, and the workflow's recent runs. Use it before propose_fix.",
  input: z.object({ runId: z.string().min(1).max(100) }),
  output: z.object({
    runId: z.string(),
    workflowId: z.string(),
    version: z.number(),
    fingerprint: z.string(),
    failedStep: z.unknown(),
    node: z.unknown(),
    action: z.unknown(),
    docs: z.array(z.union([z.string(), UntrustedValue])),
    recentRuns: z.array(z.object({ id: z.string(), status: RunStatus, createdAt: z.string() })),
  }),
  async run(input, ctx) {
    const loaded = await loadRun(input.runId, ctx);
    if (!loaded.ok) return loaded;
    const run = loaded.value;
    const step = failedStepOf(run);
    const workflow = await ctx.workflows.get(run.workflowId);
    const node =
      step && workflow
        ? workflow.document.nodes.find((candidate) => candidate.id === step.nodeId)
        : undefined;
    const entry = node ? ctx.catalog.lookupAction(node.uses) : undefined;
    const docs = entry && ctx.docs ? await ctx.docs.search(`${entry.uses} errors`, { k: 2 }) : [];
    const recent = ctx.runs ? await ctx.runs.recent(run.workflowId, 5) : [];
    return ok({
      runId: run.id,
      workflowId: run.workflowId,
      version: run.version,
      fingerprint: failureFingerprint(run),
      failedStep: step
        ? {
            nodeId: step.nodeId,
            attempt: step.attempt,
            error: markUntrusted(shrink(step.error)),
            input: markUntrusted(shrink(step.input)),
          }
        : { note: 'no step failed; the run error is', error: markUntrusted(shrink(run.error)) },
      // The node as its author wrote it (names, descriptions, messages): data, never instructions.
      node: node ? markThirdParty(node) : null,
      action: entry
        ? {
            uses: entry.uses,
            description: entry.origin === 'imported' ? markThirdParty(entry.description) : entry.description,
            effect: entry.effect,
            parameters: z.toJSONSchema(entry.input, { io: 'input', unrepresentable: 'any' }),
          }
        : null,
      docs: docs.map((hit) => docSnippet(hit, 1_200)),
      recentRuns: recent.map((r) => ({ id: r.id, status: r.status, createdAt: r.createdAt })),
    });
  },
});
