/** Elements that end a line or a block: a space stands for them, so words on either side stay apart. */
const BREAKING_ELEMENTS = new Set(
  'address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul'.split(
    ' ',
  ),
);
/** Elements whose content is never text a reader sees. */
const HIDDEN_ELEMENTS = new Set(['script', 'style', 'template', 'noscript', 'head', 'title']);

/**
 * Plain text from an HTML fragment whose entities the feed parser has already decoded: markup, comments and the
 * content of script/style elements are dropped, whitespace is collapsed. A `<` that cannot start a tag (`a < b`)
 * stays text. The result is text for messages and prompts, not markup: whoever renders it as HTML escapes it.
 */
export function toPlainText(html: string): string {
  let text = '';
  let index = 0;
  while (index < html.length) {
    const open = html.indexOf('<', index);
    if (open === -1) {
      text += html.slice(index);
      break;
    }
    text += html.slice(index, open);
    const next = html[open + 1] ?? '';
    if (!/[A-Za-z/!?]/.test(next)) {
      text += '<';
      index = open + 1;
      continue;
    }
    if (html.startsWith('<!--', open)) {
      const end = html.indexOf('-->', open + 4);
      index = end === -1 ? html.length : end + 3;
      text += ' ';
      continue;
    }
    const name = /^\/?([A-Za-z][A-Za-z0-9-]*)/.exec(html.slice(open + 1, open + 34))?.[1]?.toLowerCase();
    index = tagEnd(html, open + 1);
    if (!name || BREAKING_ELEMENTS.has(name)) text += ' ';
    if (name && HIDDEN_ELEMENTS.has(name) && html[open + 1] !== '/') {
      const closing = new RegExp(`</${name}`, 'gi');
      closing.lastIndex = index;
      const end = closing.exec(html)?.index;
      index = end === undefined ? html.length : tagEnd(html, end + 1);
    }
  }
  return text.replace(/\s+/g, ' ').trim();
}

/** The index just past the `>` that ends the tag starting before `from`, skipping quoted attribute values. */
function tagEnd(html: string, from: number): number {
  let quote: string | undefined;
  for (let index = from; index < html.length; index++) {
    const char = html[index];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '>') {
      return index + 1;
    }
  }
  return html.length;
}

/** At most `max` characters (by code point, so no surrogate pair is cut), with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text.slice(0, max * 2));
  if (points.length <= max && text.length <= max * 2) return text;
  return `${points.slice(0, max - 1).join('')}…`;
}
