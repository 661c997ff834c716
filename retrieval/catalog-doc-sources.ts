import type { z } from 'zod';
import type { DocSource } from './doc-source.ts';
import { describeParameters } from './schema-doc.ts';

/** The part of runtime/workflow's Catalog (createCatalog(connectors)) that retrieval reads. */
export type CatalogLike = {
  actions(): {
    uses: string;
    kind: 'core' | 'action';
    title: string;
    description: string;
    input: z.ZodType;
  }[];
  triggers(): {
    type: string;
    title: string;
    description: string;
    with: z.ZodType;
    sample: unknown;
    connectorId: string | undefined;
  }[];
};

/**
 * Sources for the core nodes and core triggers of the catalog: description and `with` parameters.
 * (Connector actions and triggers come from connectorDocSources, which also reads their doc.md.)
 */
export function catalogDocSources(catalog: CatalogLike): DocSource[] {
  const sources: DocSource[] = [];
  for (const entry of catalog.actions()) {
    if (entry.kind !== 'core') continue;
    const params = describeParameters(entry.input);
    sources.push({
      sourceId: `core:catalog:${entry.uses}`,
      docId: entry.uses,
      kind: 'core',
      title: `${entry.title} (core node)`,
      text: [
        `# ${entry.uses}: ${entry.title}`,
        `Core node, used as \`"uses": "${entry.uses}"\`. ${entry.description}`,
        params.length ? `Parameters (\`with\`):\n${params.join('\n')}` : 'No parameters.',
      ].join('\n\n'),
    });
  }
  for (const trigger of catalog.triggers()) {
    if (trigger.connectorId !== undefined) continue;
    let sample = '';
    try {
      sample = JSON.stringify(trigger.sample) ?? '';
    } catch {
      sample = '';
    }
    sources.push({
      sourceId: `core:catalog:trigger:${trigger.type}`,
      docId: trigger.type,
      kind: 'trigger',
      title: `${trigger.title} trigger`,
      text: [
        `# ${trigger.type}: ${trigger.title} trigger`,
        `Core trigger, used as \`"trigger": { "type": "${trigger.type}" }\`. ${trigger.description}`,
        sample ? `Trigger data (\`trigger\` in expressions), for example: \`${sample.slice(0, 800)}\`` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    });
  }
  return sources;
}
