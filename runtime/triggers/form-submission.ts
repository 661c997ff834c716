import { err, ok, type Result } from '../../lib/index.ts';
import { type FormField, fieldMaxLength } from '../workflow/form-trigger-with.ts';
import type { UploadedFile } from './multipart-body.ts';

/** What a submitted field's value became in `trigger.fields`. */
export type FormValue = string | number | boolean | null;
/** One field the submission got wrong, named as the form declares it. */
export type FieldProblem = { name: string; message: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TICKED = new Set(['on', 'true', '1', 'yes']);

function isCalendarDate(text: string): boolean {
  const parts = DATE.exec(text);
  if (!parts) return false;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A submitted value as text: form posts send strings, JSON clients may send numbers (and booleans for checkboxes). */
function asText(value: unknown): string | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return 'invalid';
}

function checkbox(field: FormField, value: unknown): FormValue | FieldProblem {
  const ticked = value === true || (typeof value === 'string' && TICKED.has(value.trim().toLowerCase()));
  const unticked =
    value === undefined || value === null || value === false || value === '' || value === 'false';
  if (!ticked && !unticked)
    return { name: field.name, message: `${field.label}: send true or false (a ticked box sends "on").` };
  if (field.required && !ticked)
    return { name: field.name, message: `${field.label}: tick this box to go on.` };
  return ticked;
}

function oneField(field: FormField, value: unknown): FormValue | FieldProblem {
  if (field.type === 'checkbox') return checkbox(field, value);
  const text = asText(value);
  if (text === 'invalid') return { name: field.name, message: `${field.label}: send one value as text.` };
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') {
    return field.required ? { name: field.name, message: `${field.label} is required.` } : null;
  }
  const given = text ?? '';
  const max = fieldMaxLength(field);
  if (given.length > max)
    return {
      name: field.name,
      message: `${field.label}: at most ${max} characters (this has ${given.length}).`,
    };
  if (given.includes('\u0000'))
    return { name: field.name, message: `${field.label} contains a NUL character; remove it.` };
  switch (field.type) {
    case 'email':
      return EMAIL.test(trimmed)
        ? trimmed
        : { name: field.name, message: `${field.label}: enter an email address like name@example.com.` };
    case 'number': {
      const number = Number(trimmed);
      return NUMBER.test(trimmed) && Number.isFinite(number)
        ? number
        : { name: field.name, message: `${field.label}: enter a number, e.g. 42 or 3.5.` };
    }
    case 'date':
      return isCalendarDate(trimmed)
        ? trimmed
        : { name: field.name, message: `${field.label}: enter a date as YYYY-MM-DD, e.g. 2030-01-31.` };
    case 'select':
      return field.options?.includes(given)
        ? given
        : { name: field.name, message: `${field.label}: pick one of the listed options.` };
    default:
      return given;
  }
}

/**
 * Checks a submission against the form's declaration: every declared field gets a value in `trigger.fields`
 * (number → number, checkbox → boolean, date → "YYYY-MM-DD", an empty optional field → null); fields the form
 * does not declare are ignored. Any problem → the list of fields that are wrong, each named.
 */
export function parseFormSubmission(
  fields: readonly FormField[],
  values: Readonly<Record<string, unknown>>,
): Result<Record<string, FormValue>, FieldProblem[]> {
  const parsed: Record<string, FormValue> = {};
  const problems: FieldProblem[] = [];
  for (const field of fields) {
    // File fields come as parts of a multipart body: parseFormFiles checks them.
    if (field.type === 'file') continue;
    const value = Object.hasOwn(values, field.name) ? values[field.name] : undefined;
    const result = oneField(field, value);
    if (result !== null && typeof result === 'object') problems.push(result);
    else parsed[field.name] = result;
  }
  return problems.length > 0 ? err(problems) : ok(parsed);
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/** Whether a file matches one `accept` entry: its name's extension, or its declared media type (or type/*). */
function accepts(accept: readonly string[] | undefined, file: UploadedFile): boolean {
  if (!accept) return true;
  const type = file.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return accept.some((entry) => {
    const wanted = entry.toLowerCase();
    if (wanted.startsWith('.')) return extensionOf(file.name) === wanted;
    if (wanted.endsWith('/*')) return type.startsWith(wanted.slice(0, -1));
    return type === wanted;
  });
}

/**
 * Checks the files of a submission against the form's `file` fields: a required field needs one, a field without
 * `multiple` takes one, each file must match `accept` (extension or declared type, as the browser's picker does).
 * Returns the files to store per field (files for names the form does not declare are left out).
 */
export function parseFormFiles(
  fields: readonly FormField[],
  files: readonly UploadedFile[],
): Result<Map<string, UploadedFile[]>, FieldProblem[]> {
  const chosen = new Map<string, UploadedFile[]>();
  const problems: FieldProblem[] = [];
  for (const field of fields) {
    if (field.type !== 'file') continue;
    const given = files.filter((file) => file.field === field.name);
    if (given.length === 0) {
      if (field.required) problems.push({ name: field.name, message: `${field.label}: attach a file.` });
      continue;
    }
    if (given.length > 1 && !field.multiple) {
      problems.push({
        name: field.name,
        message: `${field.label}: attach one file (${given.length} were sent).`,
      });
      continue;
    }
    const wrong = given.find((file) => !accepts(field.accept, file));
    if (wrong) {
      problems.push({
        name: field.name,
        message: `${field.label}: "${wrong.name.slice(0, 80)}" is not one of the accepted kinds (${(field.accept ?? []).join(', ')}).`,
      });
      continue;
    }
    chosen.set(field.name, given);
  }
  return problems.length > 0 ? err(problems) : ok(chosen);
}
