import type { ImportedOperation } from './imported-operation.ts';
import { describeType } from './schema-to-zod.ts';

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A small example value for a JSON Schema: its example/default/enum, or a placeholder of its type. */
export function sampleValue(schema: unknown, defs: JsonObject = {}, depth = 0): unknown {
  if (!isObject(schema) || depth > 4) return null;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').at(-1) ?? '';
    return sampleValue(defs[name], defs, depth + 1);
  }
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const first = (schema.oneOf ?? schema.anyOf ?? schema.allOf) as unknown[] | undefined;
  if (Array.isArray(first) && first.length > 0) {
    if (Array.isArray(schema.allOf)) {
      return Object.assign({}, ...first.map((part) => sampleValue(part, defs, depth + 1)).filter(isObject));
    }
    return sampleValue(first[0], defs, depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((entry) => entry !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return schema.format === 'date-time'
        ? '2026-01-01T00:00:00Z'
        : schema.format === 'date'
          ? '2026-01-01'
          : 'text';
    case 'integer':
      return 1;
    case 'number':
      return 1.5;
    case 'boolean':
      return true;
    case 'array':
      return [sampleValue(schema.items, defs, depth + 1)];
    default: {
      if (!isObject(schema.properties)) return {};
      const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
      const entries = Object.entries(schema.properties).filter(
        ([name]) => required.size === 0 || required.has(name),
      );
      return Object.fromEntries(
        entries.slice(0, 6).map(([name, inner]) => [name, sampleValue(inner, defs, depth + 1)]),
      );
    }
  }
}

/** `- \`key\` (in, type, required): description` lines for the doc and the retrieval index. */
export function parameterLines(operation: ImportedOperation): string[] {
  const lines = operation.parameters.map(
    (parameter) =>
      `- \`${parameter.key}\` (${parameter.in}${parameter.key !== parameter.name ? ` \`${parameter.name}\`` : ''}, ${describeType(parameter.jsonSchema)}${parameter.required ? ', required' : ''}): ${parameter.description ?? 'no description in the spec'}`,
  );
  if (operation.body) {
    const schema = operation.body.jsonSchema;
    const properties = isObject(schema.properties) ? Object.keys(schema.properties) : [];
    lines.push(
      `- \`${operation.body.key}\` (${operation.body.mediaType} body, ${describeType(schema)}${operation.body.required ? ', required' : ''}): ${operation.body.description ?? 'the request body'}${properties.length > 0 ? `; fields: ${properties.slice(0, 20).join(', ')}` : ''}`,
    );
  }
  return lines;
}

/** The example `with` of an operation: required parameters and the body. */
export function exampleWith(operation: ImportedOperation): JsonObject {
  const example: JsonObject = {};
  for (const parameter of operation.parameters) {
    if (!parameter.required) continue;
    const defs = isObject(parameter.jsonSchema.$defs) ? parameter.jsonSchema.$defs : {};
    example[parameter.key] = parameter.example ?? sampleValue(parameter.jsonSchema, defs);
  }
  if (operation.body) {
    const defs = isObject(operation.body.jsonSchema.$defs) ? operation.body.jsonSchema.$defs : {};
    example[operation.body.key] = operation.body.example ?? sampleValue(operation.body.jsonSchema, defs);
  }
  return example;
}

/** One doc.md-style section for an operation: when to use, parameters, example, common errors. */
export function operationMarkdown(connectorId: string, operation: ImportedOperation): string {
  const summary = operation.summary ?? `${operation.method.toUpperCase()} ${operation.path}`;
  const params = parameterLines(operation);
  const node = { id: operation.key, uses: `${connectorId}.${operation.key}`, with: exampleWith(operation) };
  const errors = operation.errors.map((error) => `- HTTP ${error.status}: ${error.description}`);
  return [
    `## ${operation.key}`,
    `${summary}${operation.deprecated ? ' (deprecated)' : ''}. \`${operation.method.toUpperCase()} ${operation.path}\`${operation.tags.length > 0 ? ` — tags: ${operation.tags.join(', ')}` : ''}.`,
    operation.description && operation.description !== summary ? operation.description.trim() : '',
    `When to use: ${summary.replace(/\.$/, '')}. It ${operation.effect === 'read' ? 'only reads' : 'changes data'}${operation.idempotent ? ' and is safe to retry' : ' and may not be safe to repeat'}.`,
    params.length > 0 ? `Parameters:\n\n${params.join('\n')}` : 'Parameters: none.',
    `Example:\n\n\`\`\`json\n${JSON.stringify(node, null, 2)}\n\`\`\``,
    'Output: `{ "status", "headers", "body" }`; `body` is the parsed JSON answer.',
    `Common errors and fixes:\n\n${[
      ...errors,
      '- `E_PARAMS`: a parameter is missing or has the wrong type; fix `with` as the message says.',
      '- `E_AUTH` (401/403): bind an `http` credential with the key or token this API expects.',
      '- `E_RATE_LIMITED` (429) and `E_UPSTREAM` (5xx): retried automatically, honouring Retry-After.',
    ].join('\n')}`,
  ]
    .filter(Boolean)
    .join('\n\n');
}
