import { z } from 'zod';

/** One problem found in a workflow document: stable code, JSON Pointer into the document, message and fix. */
export const ValidationIssue = z.object({
  code: z.string(),
  path: z.string(),
  message: z.string(),
  hint: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** Error codes of workflow-format.md (stable, tested from outside). */
export const ERROR_CODES = [
  'E_SCHEMA',
  'E_DUPLICATE_ID',
  'E_UNKNOWN_NODE',
  'E_UNKNOWN_ACTION',
  'E_PARAMS',
  'E_CYCLE',
  'E_BAD_BRANCH',
  'E_EXPRESSION',
  'E_REFERENCE',
  'E_INLINE_SECRET',
  'E_TRIGGER',
  'E_RESPOND_HEADER',
  'E_SUBWORKFLOW_TARGET',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Warning codes: the document runs, but probably not as meant. */
export const WARNING_CODES = [
  'W_MISSING_CREDENTIAL',
  'W_UNKNOWN_CREDENTIAL',
  'W_CREDENTIAL_NOT_NEEDED',
  'W_BRANCH_UNUSED',
  'W_EDGE_WITHOUT_BRANCH',
  'W_ROUTE_WITHOUT_ERROR_EDGE',
  'W_UNKNOWN_FIELD',
  'W_UNREACHABLE',
  'W_DUPLICATE_EDGE',
  'W_UNKNOWN_ROOT',
  'W_UNKNOWN_VAR',
  'W_STEP_FIELD',
  'W_TRIGGER_FIELD_IGNORED',
  'W_WEBHOOK_TOKEN_URL',
  'W_RESPOND_WITHOUT_WEBHOOK',
  'W_TRUNCATED',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

/** Issue code for input that cannot be read as a document at all (not in the validator's table: exit code 2). */
export const INPUT_ERROR_CODE = 'E_INPUT';
