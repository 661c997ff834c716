import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
};

const Schema: z.ZodType<JsonSchema> = z.lazy(() =>
  z.looseObject({
    type: z.union([z.string(), z.array(z.string())]).optional(),
    description: z.string().optional(),
    properties: z.record(z.string(), Schema).optional(),
    required: z.array(z.string()).optional(),
    items: Schema.optional(),
    enum: z.array(z.unknown()).optional(),
    const: z.unknown().optional(),
    default: z.unknown().optional(),
    anyOf: z.array(Schema).optional(),
    oneOf: z.array(Schema).optional(),
    allOf: z.array(Schema).optional(),
    format: z.string().optional(),
  }),
);

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.map(typeOf).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  if (type === 'array' && schema.items) return `array of ${typeOf(schema.items)}`;
  return schema.format ? `${type} (${schema.format})` : type;
}

function describeProperties(schema: JsonSchema, prefix: string, depth: number, lines: string[]): void {
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const flags = [typeOf(property), required.has(name) ? 'required' : 'optional'];
    if (property.default !== undefined) flags.push(`default ${JSON.stringify(property.default)}`);
    lines.push(
      `- \`${path}\` (${flags.join(', ')})${property.description ? `: ${property.description}` : ''}`,
    );
    const nested = property.type === 'array' ? property.items : property;
    if (depth < 2 && nested?.properties)
      describeProperties(nested, `${path}${property.type === 'array' ? '[]' : ''}`, depth + 1, lines);
  }
}

/**
 * Renders a zod schema's parameters as markdown lines: name, type, required/optional, default and the
 * `.describe()` text (via z.toJSONSchema), nested objects to two levels. Empty when the schema has no properties.
 */
export function describeParameters(schema: z.ZodType): string[] {
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return [];
  }
  const parsed = Schema.safeParse(json);
  if (!parsed.success) return [];
  const lines: string[] = [];
  const root = parsed.data.allOf?.length === 1 ? (parsed.data.allOf[0] as JsonSchema) : parsed.data;
  describeProperties(root, '', 0, lines);
  for (const variant of root.anyOf ?? root.oneOf ?? []) describeProperties(variant, '', 0, lines);
  return lines;
}
