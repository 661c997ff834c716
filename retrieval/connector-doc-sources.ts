import { readFile } from 'node:fs/promises';
import type { ActionEffect, ConnectorDefinition } from '../connectors/index.ts';
import type { DocKind, DocSource } from './doc-source.ts';
import { splitMarkdownSections } from './markdown-sections.ts';
import { describeParameters } from './schema-doc.ts';

type Target = { docId: string; kind: DocKind; title: string };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Which action or trigger a doc.md heading is about: its full id, its key as a word, or its title. */
function matchHeading(heading: string, connector: ConnectorDefinition): Target | undefined {
  const entries: (Target & { key: string })[] = [
    ...connector.actions.map((a) => ({
      key: a.key,
      docId: `${connector.id}.${a.key}`,
      kind: 'action' as const,
      title: a.title,
    })),
    ...connector.triggers.map((t) => ({
      key: t.key,
      docId: `${connector.id}.${t.key}`,
      kind: 'trigger' as const,
      title: t.title,
    })),
  ];
  const text = heading.replace(/`/g, '');
  for (const entry of entries) if (text.includes(entry.docId)) return entry;
  for (const entry of entries)
    if (new RegExp(`(^|[^A-Za-z0-9_])${escapeRegExp(entry.key)}($|[^A-Za-z0-9_])`).test(text)) return entry;
  for (const entry of entries)
    if (text.trim().toLowerCase() === entry.title.trim().toLowerCase()) return entry;
  return undefined;
}

/** doc.md cut into one source per action/trigger it documents, plus one for everything else about the connector. */
export function docMarkdownSources(connector: ConnectorDefinition, markdown: string): DocSource[] {
  const overview: Target = { docId: connector.id, kind: 'connector', title: connector.title };
  const texts = new Map<string, { target: Target; text: string }>();
  const stack: { level: number; target: Target }[] = [];
  for (const section of splitMarkdownSections(markdown)) {
    while (stack.length && (stack.at(-1)?.level ?? 0) >= section.level) stack.pop();
    const target =
      (section.heading ? matchHeading(section.heading, connector) : undefined) ??
      stack.at(-1)?.target ??
      overview;
    if (section.heading) stack.push({ level: section.level, target });
    const entry = texts.get(target.docId) ?? { target, text: '' };
    const heading = section.heading ? `${'#'.repeat(Math.max(section.level, 1))} ${section.heading}\n` : '';
    entry.text += `${heading}${section.body}`;
    texts.set(target.docId, entry);
  }
  return [...texts.values()]
    .filter((entry) => entry.text.trim())
    .map(({ target, text }) => ({
      sourceId: `connector:${connector.id}:doc:${target.docId}`,
      docId: target.docId,
      kind: target.kind,
      title:
        target.kind === 'connector' ? `${connector.title} connector` : `${connector.title}: ${target.title}`,
      text: text.trim(),
    }));
}

/** Sources generated from the connector's definition: each action's and trigger's description and parameters. */
export function definitionSources(connector: ConnectorDefinition): DocSource[] {
  const sources: DocSource[] = [];
  for (const action of connector.actions) {
    const params = describeParameters(action.input);
    sources.push({
      sourceId: `connector:${connector.id}:action:${action.key}`,
      docId: `${connector.id}.${action.key}`,
      kind: 'action',
      title: `${connector.title}: ${action.title}`,
      text: [
        `# ${connector.id}.${action.key}: ${action.title}`,
        `${connector.title} action. ${action.description}`,
        `Effect: ${effectText(action.effect, connector.title)} ${action.idempotent ? 'Idempotent.' : 'Not idempotent.'}`,
        params.length ? `Parameters (\`with\`):\n${params.join('\n')}` : 'No parameters.',
        connector.credential ? `Credential type: \`${connector.credential.type}\`.` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    });
  }
  for (const trigger of connector.triggers) {
    const params = describeParameters(trigger.with);
    let sample = '';
    try {
      sample = JSON.stringify(trigger.sample, null, 1) ?? '';
    } catch {
      sample = '';
    }
    sources.push({
      sourceId: `connector:${connector.id}:trigger:${trigger.key}`,
      docId: `${connector.id}.${trigger.key}`,
      kind: 'trigger',
      title: `${connector.title}: ${trigger.title}`,
      text: [
        `# ${connector.id}.${trigger.key}: ${trigger.title} (trigger)`,
        `${connector.title} trigger (${trigger.kind}); a workflow starts with \`"trigger": { "type": "${connector.id}.${trigger.key}" }\`. ${trigger.description}`,
        params.length ? `Filters (\`trigger.with\`):\n${params.join('\n')}` : '',
        sample
          ? `Trigger data (\`trigger\` in expressions), for example:\n\`\`\`json\n${sample.slice(0, 1500)}\n\`\`\``
          : '',
        trigger.credential
          ? `Credential type (\`trigger.credential\`): \`${trigger.credential.type}\`: ${trigger.credential.howToGet}`
          : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    });
  }
  const list = [
    ...connector.actions.map((a) => `- action \`${connector.id}.${a.key}\`: ${a.title}`),
    ...connector.triggers.map((t) => `- trigger \`${connector.id}.${t.key}\`: ${t.title}`),
  ];
  sources.push({
    sourceId: `connector:${connector.id}:overview`,
    docId: connector.id,
    kind: 'connector',
    title: `${connector.title} connector`,
    text: [
      `# ${connector.title} (\`${connector.id}\`)`,
      connector.description,
      list.join('\n'),
      connector.credential
        ? `Credential type \`${connector.credential.type}\`: ${connector.credential.howToGet}`
        : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
  });
  return sources;
}

/** Every doc source of these connectors: definitions plus doc.md (a missing doc.md is skipped). */
export async function connectorDocSources(connectors: readonly ConnectorDefinition[]): Promise<DocSource[]> {
  const sources: DocSource[] = [];
  for (const connector of connectors) {
    sources.push(...definitionSources(connector));
    let markdown: string | undefined;
    try {
      markdown = await readFile(connector.docPath, 'utf8');
    } catch {
      markdown = undefined;
    }
    if (markdown) sources.push(...docMarkdownSources(connector, markdown));
  }
  return sources;
}

function effectText(effect: ActionEffect, title: string): string {
  if (effect === 'pure') return 'pure (works on its input only, no I/O).';
  return effect === 'write' ? `writes (changes data in ${title}).` : `reads (no changes to ${title}).`;
}
