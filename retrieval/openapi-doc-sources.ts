import type { OpenApiOperationDoc } from '../connectors/index.ts';
import type { DocSource } from './doc-source.ts';

/** The prefix of every source of one imported connector: pass it to DocIndex.remove before re-importing. */
export const openApiSourcePrefix = (connectorId: string): string => `openapi:${connectorId}:`;

/** Whether a source was written by a third party (an imported OpenAPI document) rather than shipped with us. */
export const isThirdPartySource = (sourceId: string): boolean => sourceId.startsWith('openapi:');

/** Doc sources for an imported OpenAPI connector: one per operation (kind action) and one overview. */
export function openApiDocSources(input: {
  connectorId: string;
  title: string;
  description?: string;
  operations: OpenApiOperationDoc[];
}): DocSource[] {
  const prefix = openApiSourcePrefix(input.connectorId);
  const sources: DocSource[] = input.operations.map((operation) => ({
    sourceId: `${prefix}${operation.key}`,
    docId: `${input.connectorId}.${operation.key}`,
    kind: 'action',
    title: `${input.title}: ${operation.summary ?? operation.key}`,
    text: [
      `# ${input.connectorId}.${operation.key}: ${operation.summary ?? operation.key}`,
      `${input.title} API operation \`${operation.method.toUpperCase()} ${operation.path}\` (imported from OpenAPI).`,
      operation.description ?? '',
      operation.tags?.length ? `Tags: ${operation.tags.join(', ')}.` : '',
      operation.parameters?.length ? `Parameters (\`with\`):\n${operation.parameters.join('\n')}` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
  }));
  sources.push({
    sourceId: `${prefix}overview`,
    docId: input.connectorId,
    kind: 'connector',
    title: `${input.title} connector (OpenAPI)`,
    text: [
      `# ${input.title} (\`${input.connectorId}\`)`,
      input.description ?? '',
      input.operations
        .map(
          (operation) => `- \`${input.connectorId}.${operation.key}\`: ${operation.summary ?? operation.key}`,
        )
        .join('\n'),
    ]
      .filter(Boolean)
      .join('\n\n'),
  });
  return sources;
}
