import { z } from 'zod';

/** The core trigger that serves a hosted form at `/forms/:workflowId`; each valid submission starts a run. */
export const FORM_TRIGGER = 'form';

export const FORM_FIELD_TYPES = [
  'text',
  'email',
  'number',
  'select',
  'checkbox',
  'textarea',
  'date',
  'file',
] as const;
export type FormFieldType = (typeof FORM_FIELD_TYPES)[number];

/** Caps on what a form declares: the page is rendered from it for anyone with the link. */
export const FORM_LIMITS = {
  fields: 50,
  title: 200,
  description: 2_000,
  thankYou: 2_000,
  label: 200,
  options: 100,
  option: 200,
  /** The longest answer a field takes, and the default of `maxLength` per type. */
  maxLength: 10_000,
  defaultMaxLength: { text: 1_000, textarea: 10_000, email: 254 },
  /** Entries of a file field's `accept`. */
  accept: 20,
} as const;

/** One `accept` entry, as in HTML: a file extension (".csv") or a media type ("text/csv", "image/*"). */
const ACCEPT_ENTRY =
  /^(?:\.[A-Za-z0-9][A-Za-z0-9_+-]{0,19}|[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,63}))$/;

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const ONE_LINE = /^[^\r\n]*$/;

export const FormField = z.strictObject({
  name: z
    .string()
    .regex(
      FIELD_NAME,
      'a field name is a letter, then letters, digits or "_" (at most 64), e.g. "email" or "company_size": it becomes trigger.fields.<name>',
    ),
  label: z
    .string()
    .min(1, 'a field needs a label: the text shown next to it')
    .max(FORM_LIMITS.label, `a label is at most ${FORM_LIMITS.label} characters`)
    .regex(ONE_LINE, 'a label is one line'),
  type: z.enum(FORM_FIELD_TYPES).describe(FORM_FIELD_TYPES.join(' | ')),
  required: z
    .boolean()
    .optional()
    .describe('the form is refused without it (a checkbox: unless it is ticked)'),
  options: z
    .array(
      z
        .string()
        .min(1)
        .max(FORM_LIMITS.option, `an option is at most ${FORM_LIMITS.option} characters`)
        .regex(ONE_LINE, 'an option is one line'),
    )
    .min(1)
    .max(FORM_LIMITS.options, `a select has at most ${FORM_LIMITS.options} options`)
    .optional()
    .describe('select only: the choices, the value sent is the option itself'),
  maxLength: z
    .number()
    .int()
    .min(1)
    .max(FORM_LIMITS.maxLength)
    .optional()
    .describe('text, textarea, email: the longest answer (default 1000, 10000, 254)'),
  accept: z
    .array(
      z
        .string()
        .regex(
          ACCEPT_ENTRY,
          'an accept entry is a file extension like ".csv" or a media type like "text/csv" or "image/*"',
        ),
    )
    .min(1)
    .max(FORM_LIMITS.accept, `accept lists at most ${FORM_LIMITS.accept} entries`)
    .optional()
    .describe('file only: the kinds of file taken, e.g. [".csv", "text/csv"]; default any file'),
  multiple: z
    .boolean()
    .optional()
    .describe('file only: more than one file may be attached (trigger.fields.<name> is then a list)'),
});
export type FormField = z.infer<typeof FormField>;

const TEXT_TYPES = new Set<FormFieldType>(['text', 'textarea', 'email']);

/** `trigger.with` of the core `form` trigger. */
export const FormTriggerWith = z
  .strictObject({
    title: z
      .string()
      .min(1, 'a form needs a title')
      .max(FORM_LIMITS.title, `a title is at most ${FORM_LIMITS.title} characters`),
    description: z
      .string()
      .max(FORM_LIMITS.description, `a description is at most ${FORM_LIMITS.description} characters`)
      .optional(),
    fields: z
      .array(FormField)
      .min(1, 'a form needs at least one field')
      .max(FORM_LIMITS.fields, `a form has at most ${FORM_LIMITS.fields} fields`),
    thankYou: z
      .string()
      .max(FORM_LIMITS.thankYou, `thankYou is at most ${FORM_LIMITS.thankYou} characters`)
      .optional()
      .describe('the text of the page shown after a submission (without a core.respond node)'),
  })
  .superRefine((value, context) => {
    const seen = new Set<string>();
    value.fields.forEach((field, index) => {
      if (seen.has(field.name)) {
        context.addIssue({
          code: 'custom',
          path: ['fields', index, 'name'],
          message: `two fields are named "${field.name}": names must be unique`,
        });
      }
      seen.add(field.name);
      if (field.type === 'select' && field.options === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['fields', index, 'options'],
          message: `select field "${field.name}" needs options, the choices to pick from`,
        });
      }
      if (field.type === 'select' && field.options && new Set(field.options).size !== field.options.length) {
        context.addIssue({
          code: 'custom',
          path: ['fields', index, 'options'],
          message: `select field "${field.name}" lists an option twice`,
        });
      }
      if (field.type !== 'select' && field.options !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['fields', index, 'options'],
          message: `options only apply to select fields ("${field.name}" is ${field.type})`,
        });
      }
      for (const key of ['accept', 'multiple'] as const) {
        if (field.type !== 'file' && field[key] !== undefined) {
          context.addIssue({
            code: 'custom',
            path: ['fields', index, key],
            message: `${key} only applies to file fields ("${field.name}" is ${field.type})`,
          });
        }
      }
      if (!TEXT_TYPES.has(field.type) && field.maxLength !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['fields', index, 'maxLength'],
          message: `maxLength only applies to text, textarea and email fields ("${field.name}" is ${field.type})`,
        });
      }
    });
  });
export type FormTriggerWith = z.infer<typeof FormTriggerWith>;

/** The longest answer a field takes. */
export function fieldMaxLength(field: FormField): number {
  if (field.maxLength !== undefined) return field.maxLength;
  if (field.type === 'text' || field.type === 'textarea' || field.type === 'email')
    return FORM_LIMITS.defaultMaxLength[field.type];
  if (field.type === 'select') return FORM_LIMITS.option;
  return 100;
}
