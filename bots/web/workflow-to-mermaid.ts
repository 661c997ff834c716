// The node declarations, not runtime/index.ts: this module is bundled for the browser.
import { findCoreNode } from '../../runtime/nodes/index.ts';
import type { Edge, NodeGraph, WorkflowDocument, WorkflowNode } from '../../runtime/workflow/index.ts';

/** Escapes text for a quoted mermaid label: quotes, angle brackets and `#` become entity codes. */
export function escapeMermaidLabel(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/[\r\n]+/g, ' ');
}

/** A mermaid-safe id: prefixed (so `end`, `graph` and digits-first never clash) and reduced to [A-Za-z0-9_]. */
export function toMermaidId(prefix: string, id: string): string {
  return `${prefix}_${id.replace(/[^A-Za-z0-9_]/g, (char) => `x${char.codePointAt(0)?.toString(16)}`)}`;
}

function nodeLine(node: WorkflowNode, mermaidId: string): string {
  const [open, close] = findCoreNode(node.uses)?.shape ?? ['[', ']'];
  const title = node.name ? `${node.name} (${node.id})` : node.id;
  return `${mermaidId}${open}"${escapeMermaidLabel(title)}<br/><small>${escapeMermaidLabel(node.uses)}</small>"${close}`;
}

function edgeLine(from: string, to: string, edge: Edge): string {
  if (edge.branch) return `${from} -->|"${escapeMermaidLabel(edge.branch)}"| ${to}`;
  return `${from} --> ${to}`;
}

function emitGraph(graph: NodeGraph, prefix: string, entry: string, lines: string[], indent: string): void {
  const targets = new Set(graph.edges.map((edge) => edge.to));
  for (const node of graph.nodes) {
    const id = toMermaidId(prefix, node.id);
    lines.push(`${indent}${nodeLine(node, id)}`);
    if (node.do) {
      const body = `${id}__do`;
      lines.push(`${indent}subgraph ${body}["${escapeMermaidLabel(`for each item of ${node.id}`)}"]`);
      lines.push(`${indent}  direction TB`);
      emitGraph(node.do, `${id}__`, id, lines, `${indent}  `);
      lines.push(`${indent}end`);
    }
  }
  for (const node of graph.nodes) {
    if (!targets.has(node.id)) {
      const style = prefix === 'n' ? ' --> ' : ' -.->|"each"| ';
      lines.push(`${indent}${entry}${style}${toMermaidId(prefix, node.id)}`);
    }
  }
  for (const edge of graph.edges) {
    lines.push(`${indent}${edgeLine(toMermaidId(prefix, edge.from), toMermaidId(prefix, edge.to), edge)}`);
  }
}

/**
 * A workflow document as mermaid flowchart text: the trigger, one box per node (decisions as diamonds),
 * branch labels on edges, and each `core.foreach` body as a subgraph fed from its loop node.
 */
export function workflowToMermaid(document: WorkflowDocument): string {
  const lines = ['flowchart TD'];
  const trigger =
    document.trigger.type === 'schedule' && document.trigger.cron
      ? `schedule ${document.trigger.cron}`
      : document.trigger.type;
  lines.push(`  trigger(["${escapeMermaidLabel(`Trigger: ${trigger}`)}"])`);
  emitGraph(document, 'n', 'trigger', lines, '  ');
  return `${lines.join('\n')}\n`;
}
