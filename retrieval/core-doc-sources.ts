import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  CORE_TRIGGER_TYPES,
  coreNodes,
  WEBHOOK_SCHEME_INFO,
  WEBHOOK_VERIFY_SCHEMES,
  type WebhookVerifyScheme,
} from '../runtime/index.ts';
import type { DocSource } from './doc-source.ts';
import { splitMarkdownSections } from './markdown-sections.ts';

/** runtime/nodes/core-nodes.md: one `## core.xxx` section per core node (and `## <type>` per core trigger). */
export const CORE_NODES_DOC_PATH = fileURLToPath(new URL('../runtime/nodes/core-nodes.md', import.meta.url));

/**
 * The one-line contract of every core node (from its declaration) and core trigger (docs/workflow-format.md).
 * Indexed always, so core ids are found even before core-nodes.md says more about them.
 */
const CORE_CONTRACT: { id: string; kind: 'core' | 'trigger'; title: string; text: string }[] = [
  ...coreNodes.map((node) => ({ id: node.uses, kind: 'core' as const, ...node.contract })),
  {
    id: 'manual',
    kind: 'trigger',
    title: 'Manual trigger',
    text: '`"trigger": { "type": "manual" }`: the workflow runs when started by hand (`vmesh run`, the API or the chat), with the given input as `trigger`.',
  },
  {
    id: 'webhook',
    kind: 'trigger',
    title: 'Webhook trigger',
    text: '`"trigger": { "type": "webhook", "with": { "verify": "stripe" } }`: the workflow runs when its webhook URL receives an HTTP request signed in the `verify` scheme (default vmesh; each scheme is documented as `webhook:<scheme>`); `trigger.body`, `trigger.headers`, `trigger.query`. Answer with `core.respond`.',
  },
  {
    id: 'form',
    kind: 'trigger',
    title: 'Form trigger (hosted form)',
    text: '`"trigger": { "type": "form", "with": { "title": "Contact us", "fields": [{ "name": "email", "label": "Email", "type": "email", "required": true }] } }`: serves a public form at `/forms/<workflow id>` while the workflow is active; each valid submission starts a run with `trigger.fields.<name>` and `trigger.submittedAt`. Field types: text, email, number, select (with `options`), checkbox, textarea, date. Answer with `with.thankYou` or `core.respond`.',
  },
  {
    id: 'schedule',
    kind: 'trigger',
    title: 'Schedule trigger (cron)',
    text: '`"trigger": { "type": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Berlin" }`: runs on a cron schedule.',
  },
  {
    id: 'chat',
    kind: 'trigger',
    title: 'Chat trigger',
    text: '`"trigger": { "type": "chat" }`: runs on a message in the conversation where the workflow was made; the message is `trigger`.',
  },
  {
    id: 'workflow.failed',
    kind: 'trigger',
    title: 'Workflow failed trigger (error handler)',
    text: '`"trigger": { "type": "workflow.failed", "with": { "workflows": ["wf_…"] } }`: runs once when a run of a listed workflow (none listed: any workflow its owner may read) fails for good; `trigger.runId`, `trigger.workflow.{id,name}`, `trigger.failedStep.{id,path}` (or null), `trigger.error.{code,message}` (secrets redacted), `trigger.failedAt`. A failing error-handler run triggers no workflow.failed workflow.',
  },
];

const KNOWN_IDS = new Set(CORE_CONTRACT.map((entry) => entry.id));

/** The id a core-nodes.md heading documents: `core.xxx`, or a core trigger type named in it. */
function headingId(heading: string): string | undefined {
  const text = heading.replace(/`/g, '');
  if (text.includes('workflow.failed')) return 'workflow.failed';
  const core = /\bcore\.[a-z][a-zA-Z0-9]*/.exec(text)?.[0];
  if (core) return core;
  const words: string[] = text.toLowerCase().match(/[a-z]+/g) ?? [];
  return CORE_TRIGGER_TYPES.find(
    (type) => words.includes(type) && (words.length <= 3 || words.includes('trigger')),
  );
}

/** Sources from core-nodes.md (when it exists) plus the core contract table. */
export function coreMarkdownSources(markdown: string): DocSource[] {
  const texts = new Map<string, string>();
  let currentId: string | undefined;
  let currentLevel = 0;
  for (const section of splitMarkdownSections(markdown)) {
    const id = section.heading ? headingId(section.heading) : undefined;
    if (id) {
      currentId = id;
      currentLevel = section.level;
    } else if (section.level <= currentLevel) {
      currentId = undefined;
    }
    if (!currentId) continue;
    texts.set(
      currentId,
      `${texts.get(currentId) ?? ''}${'#'.repeat(Math.max(1, section.level))} ${section.heading}\n${section.body}`,
    );
  }
  return [...texts.entries()].map(([id, text]) => {
    const known = CORE_CONTRACT.find((entry) => entry.id === id);
    return {
      sourceId: `core:doc:${id}`,
      docId: id,
      kind: known?.kind ?? (id.startsWith('core.') ? 'core' : 'trigger'),
      title: known ? known.title : id,
      text: text.trim(),
    };
  });
}

export function coreContractSources(): DocSource[] {
  return CORE_CONTRACT.map((entry) => ({
    sourceId: `core:contract:${entry.id}`,
    docId: entry.id,
    kind: entry.kind,
    title: entry.title,
    text:
      entry.kind === 'core'
        ? `# ${entry.id}: ${entry.title}\nCore node, used as \`"uses": "${entry.id}"\`. ${entry.text}`
        : `# ${entry.id}: ${entry.title}\nCore trigger type \`${entry.id}\`. ${entry.text}`,
  }));
}

/** The documented id of one `with.verify` scheme of the core webhook trigger: `webhook:stripe`. */
export const webhookSchemeDocId = (scheme: WebhookVerifyScheme): string => `webhook:${scheme}`;

const HMAC_EXAMPLE = { verify: 'hmac', header: 'X-Signature', algorithm: 'sha256', encoding: 'hex' };

/**
 * One source per webhook `with.verify` scheme, from runtime/workflow/webhook-schemes-info.ts: what the sender sends,
 * where the secret comes from, the delivery id that dedupes, and an example document.
 */
export function webhookSchemeSources(): DocSource[] {
  return WEBHOOK_VERIFY_SCHEMES.map((scheme) => {
    const info = WEBHOOK_SCHEME_INFO[scheme];
    const withValue = scheme === 'hmac' ? HMAC_EXAMPLE : scheme === 'vmesh' ? {} : { verify: scheme };
    const example = {
      schemaVersion: 1,
      name: `On a ${scheme} delivery`,
      trigger: { type: 'webhook', ...(scheme === 'vmesh' ? {} : { with: withValue }) },
      nodes: [{ id: 'read', uses: 'core.transform', with: { value: { received: '{{ trigger.body }}' } } }],
    };
    return {
      sourceId: `core:scheme:${webhookSchemeDocId(scheme)}`,
      docId: webhookSchemeDocId(scheme),
      kind: 'trigger' as const,
      title: `Webhook trigger verified as ${scheme} (${info.sender})`,
      text: [
        `# ${webhookSchemeDocId(scheme)}: webhook trigger, \`"verify": "${scheme}"\``,
        `Core trigger \`webhook\` with \`"with": ${JSON.stringify(withValue)}\`: deliveries from ${info.sender}, checked in its signature scheme (${info.keywords}). Only this scheme's signature is accepted.`,
        `- The sender sends: ${info.sends}.`,
        `- Signed: ${info.signed}.`,
        `- The secret (${info.secretFrom === 'sender' ? 'the sender generates it, you paste it' : "the workflow's hook secret, given to the sender"}): ${info.secretAtSender}. The secret never goes into the document.`,
        `- Delivery id (a redelivery within 24 h returns the first run): ${info.deliveryId}.`,
        `- At the sender: ${info.register}. The hook URL is \`<VMESH_PUBLIC_URL>/hooks/<workflow id>\`${scheme === 'token' ? ' followed by `/<hook secret>`' : ''}.`,
        `- \`trigger\` holds { method, headers, query, body } (the signature header left out), e.g. body \`${JSON.stringify(info.sample.body).slice(0, 300)}\`.`,
        'A wrong signature gets 401 E_UNAUTHORIZED, a stale timestamp 401 E_STALE_SIGNATURE; neither starts a run.',
        `Example document:\n\`\`\`json\n${JSON.stringify(example)}\n\`\`\``,
      ].join('\n'),
    };
  });
}

/** Every core-node and core-trigger source: the contract table, the webhook schemes, core-nodes.md when present. */
export async function coreDocSources(path: string = CORE_NODES_DOC_PATH): Promise<DocSource[]> {
  let markdown = '';
  try {
    markdown = await readFile(path, 'utf8');
  } catch {
    markdown = '';
  }
  return [
    ...coreContractSources(),
    ...webhookSchemeSources(),
    ...(markdown ? coreMarkdownSources(markdown) : []),
  ];
}

export const isCoreDocId = (id: string): boolean =>
  KNOWN_IDS.has(id) || id.startsWith('core.') || id.startsWith('webhook:');
