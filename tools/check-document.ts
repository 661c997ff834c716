import { z } from 'zod';
import type { WorkflowDocument } from '../runtime/index.ts';
import { findMissingCredentials, type MissingCredential } from './credential-needs.ts';
import { parseDocumentArgument } from './document-argument.ts';
import type { ToolContext, ValidationIssue } from './tool-context.ts';

export type DocumentCheck = {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  missingCredentials: MissingCredential[];
  document: WorkflowDocument | undefined;
};

export const IssueOutput = z.object({
  code: z.string(),
  path: z.string(),
  message: z.string(),
  hint: z.string().optional(),
});
export const MissingCredentialOutput = z.object({
  name: z.string(),
  type: z.string(),
  nodes: z.array(z.string()),
  command: z.string(),
});

/** Parses and validates a document argument, and lists the credentials it needs that are not stored. */
export async function checkDocument(value: unknown, ctx: ToolContext): Promise<DocumentCheck> {
  const parsed = parseDocumentArgument(value);
  if (!parsed.ok) {
    return {
      valid: false,
      errors: [{ code: 'E_SCHEMA', path: '', message: parsed.error.message, hint: parsed.error.hint }],
      warnings: [],
      missingCredentials: [],
      document: undefined,
    };
  }
  const stored = await ctx.credentials.list();
  const report = ctx.validate(parsed.value, { knownCredentials: stored });
  const clean = (issue: ValidationIssue): ValidationIssue => ({
    code: issue.code,
    path: issue.path,
    message: issue.message,
    ...(issue.hint ? { hint: issue.hint } : {}),
  });
  const document = report.valid ? report.document : undefined;
  return {
    valid: report.valid,
    errors: report.errors.map(clean),
    warnings: report.warnings.map(clean),
    missingCredentials: document ? findMissingCredentials(document, ctx.catalog, stored) : [],
    document,
  };
}
