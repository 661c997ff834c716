/** An Atlassian Document Format node, as far as this connector builds and reads it. */
export type AdfNode = { type: string; text?: string; content?: AdfNode[]; attrs?: Record<string, unknown> };
export type AdfDocument = { type: 'doc'; version: 1; content: AdfNode[] };

/**
 * Plain text as an ADF document: one paragraph per block separated by a blank line, a hard break for each single
 * newline inside a block (Jira Cloud REST v3 takes descriptions and comments only as ADF).
 */
export function textToAdf(text: string): AdfDocument {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .filter((block) => block.trim().length > 0);
  return {
    type: 'doc',
    version: 1,
    content: blocks.map((block) => ({
      type: 'paragraph',
      content: block.split('\n').flatMap((line, index): AdfNode[] => {
        const text: AdfNode[] = line.length > 0 ? [{ type: 'text', text: line }] : [];
        return index === 0 ? text : [{ type: 'hardBreak' }, ...text];
      }),
    })),
  };
}

const MAX_DEPTH = 32;
const MAX_TEXT = 100_000;
const BLOCKS = new Set(['paragraph', 'heading', 'listItem', 'codeBlock', 'blockquote', 'tableRow', 'rule']);

/**
 * The text of an ADF document as Jira's API answers it (untrusted: nesting and length are capped): text nodes
 * joined, a newline after each block and hard break. Anything that is not ADF gives ''.
 */
export function adfToText(value: unknown): string {
  if (typeof value === 'string') return value.slice(0, MAX_TEXT);
  const parts: string[] = [];
  let length = 0;
  const walk = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || length > MAX_TEXT || typeof node !== 'object' || node === null) return;
    const { type, text, content } = node as { type?: unknown; text?: unknown; content?: unknown };
    if (type === 'text' && typeof text === 'string') {
      parts.push(text);
      length += text.length;
    } else if (type === 'hardBreak') parts.push('\n');
    else if (type === 'mention' || type === 'emoji') {
      const attrs = (node as { attrs?: { text?: unknown } }).attrs;
      if (typeof attrs?.text === 'string') parts.push(attrs.text);
    }
    if (Array.isArray(content)) for (const child of content.slice(0, 10_000)) walk(child, depth + 1);
    if (typeof type === 'string' && BLOCKS.has(type)) parts.push('\n');
  };
  walk(value, 0);
  return parts
    .join('')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .slice(0, MAX_TEXT);
}
