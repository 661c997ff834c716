import { z } from 'zod';
import { ok } from '../lib/index.ts';
import { checkDocument, IssueOutput, MissingCredentialOutput } from './check-document.ts';
import { defineTool } from './define-tool.ts';
import { DocumentArgument } from './document-argument.ts';

export const draftWorkflowTool = defineTool({
  name: 'draft_workflow',
  effect: 'read',
  description:
    'Validate a draft workflow document (schemaVersion 1). Returns valid, the errors (code, JSON Pointer path, message, hint: fix exactly what each says and call again), warnings, and the credentials it needs that are not stored yet. Nothing is saved. Call it until valid before test_workflow or propose_workflow.',
  input: z.object({ document: DocumentArgument }),
  output: z.object({
    valid: z.boolean(),
    errors: z.array(IssueOutput),
    warnings: z.array(IssueOutput),
    missingCredentials: z.array(MissingCredentialOutput),
  }),
  async run(input, ctx) {
    const check = await checkDocument(input.document, ctx);
    return ok({
      valid: check.valid,
      errors: check.errors,
      warnings: check.warnings,
      missingCredentials: check.missingCredentials,
    });
  },
});
