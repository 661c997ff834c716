import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  default?: unknown;
  examples?: unknown[];
  minimum?: number;
  pattern?: string;
};

/** A file output in a dry run: a well-formed reference (it passes FileRef) to a file that does not exist. */
const SIMULATED_FILE = {
  id: 'f_simulatedFileReference000001',
  name: 'simulated-file.bin',
  contentType: 'application/octet-stream',
  size: 64,
  sha256: '0'.repeat(64),
};

/** Whether a schema is a FileRef's (connectors/sdk/files.ts): its fields, with a file id pattern. */
function isFileRef(schema: JsonSchema): boolean {
  const fields = Object.keys(schema.properties ?? {})
    .sort()
    .join(',');
  return (
    fields === 'contentType,id,name,sha256,size' && Boolean(schema.properties?.id?.pattern?.startsWith('^f_'))
  );
}

function sample(schema: JsonSchema | undefined, key: string, depth: number): unknown {
  if (!schema || depth > 6) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.enum?.length) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (options?.length) {
    const nonNull = options.find((option) => option.type !== 'null') ?? options[0];
    return sample(nonNull, key, depth + 1);
  }
  if (schema.allOf?.length) return sample(schema.allOf[0], key, depth + 1);
  const type = Array.isArray(schema.type)
    ? (schema.type.find((t) => t !== 'null') ?? schema.type[0])
    : schema.type;
  switch (type) {
    case 'object': {
      if (isFileRef(schema)) return { ...SIMULATED_FILE };
      const out: Record<string, unknown> = {};
      for (const [name, inner] of Object.entries(schema.properties ?? {}))
        out[name] = sample(inner, name, depth + 1);
      return out;
    }
    case 'array':
      return [sample(schema.items, key, depth + 1)];
    case 'string':
      if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/simulated';
      if (schema.format === 'date-time') return '2025-01-01T00:00:00.000Z';
      if (schema.format === 'email') return 'someone@example.com';
      return `simulated-${key || 'value'}`;
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return null;
  }
}

/** A plausible value for a zod schema (used to simulate the output of actions that write, in dry runs). */
export function sampleFromSchema(schema: z.ZodType | undefined): unknown {
  if (!schema) return {};
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return {};
  }
  return sample(json, '', 0);
}
