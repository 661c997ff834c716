import { z } from 'zod';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const SCHEMA_REF = '#/components/schemas/';

/**
 * Rewrites an OpenAPI schema into JSON Schema 2020-12 that zod's fromJSONSchema reads: component refs
 * become `$defs` refs, 3.0's `nullable` becomes a `null` type, boolean `exclusiveMinimum/Maximum` become numbers.
 */
export function toJsonSchema(schema: unknown, refs: Set<string> = new Set()): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(item, refs));
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMA_REF)) {
      const name = value.slice(SCHEMA_REF.length);
      refs.add(name);
      out.$ref = `#/$defs/${name}`;
    } else if (key === 'nullable' || key === 'discriminator' || key === 'xml' || key === 'externalDocs') {
      // handled below or irrelevant to validation
    } else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, inner]) => [name, toJsonSchema(inner, refs)]),
      );
    } else if (key === 'example' || key === 'examples') {
      // examples are documentation, not constraints
    } else {
      out[key] = toJsonSchema(value, refs);
    }
  }
  if (schema.exclusiveMinimum === true && typeof schema.minimum === 'number') {
    out.exclusiveMinimum = schema.minimum;
    delete out.minimum;
  } else if (typeof schema.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum;
  if (schema.exclusiveMaximum === true && typeof schema.maximum === 'number') {
    out.exclusiveMaximum = schema.maximum;
    delete out.maximum;
  } else if (typeof schema.exclusiveMaximum === 'boolean') delete out.exclusiveMaximum;
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    else if (!out.type) return { anyOf: [out, { type: 'null' }] };
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

/** A zod schema for an OpenAPI schema, with the component schemas it reaches as `$defs`. */
export function toZodSchema(
  schema: unknown,
  componentSchemas: Record<string, unknown>,
): { schema: z.ZodType; jsonSchema: JsonObject; error?: string } {
  const refs = new Set<string>();
  const root = toJsonSchema(schema ?? {}, refs);
  const defs: JsonObject = {};
  const pending = [...refs];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name in defs) continue;
    const nested = new Set<string>();
    defs[name] = toJsonSchema(componentSchemas[name] ?? {}, nested);
    for (const next of nested) if (!(next in defs)) pending.push(next);
  }
  const jsonSchema: JsonObject = {
    ...(isObject(root) ? root : {}),
    ...(Object.keys(defs).length > 0 ? { $defs: defs } : {}),
  };
  try {
    return { schema: z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]), jsonSchema };
  } catch (error) {
    return { schema: z.unknown(), jsonSchema, error: error instanceof Error ? error.message : String(error) };
  }
}

/** A one-line type summary of a JSON Schema for docs: `string`, `integer`, `array of Pet`, `"a" | "b"`. */
export function describeType(schema: unknown): string {
  if (!isObject(schema)) return 'any';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').at(-1) ?? 'object';
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (schema.type === 'array') return `array of ${describeType(schema.items)}`;
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  if (typeof schema.type === 'string')
    return schema.format ? `${schema.type} (${String(schema.format)})` : schema.type;
  if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) {
    return ((schema.oneOf ?? schema.anyOf) as unknown[]).map(describeType).join(' | ');
  }
  if (Array.isArray(schema.allOf)) return (schema.allOf as unknown[]).map(describeType).join(' & ');
  return isObject(schema.properties) ? 'object' : 'any';
}
