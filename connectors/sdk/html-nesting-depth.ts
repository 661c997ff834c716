/** Deepest element nesting html.extract parses (deeper documents are refused before parsing). */
export const MAX_HTML_DEPTH = 256;

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
/** Elements whose start closes an open one of the same name on top (`<li>a<li>b`). */
const SELF_CLOSING_SIBLINGS = new Set(['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'thead', 'tbody']);
/** Elements whose content is text: tags inside them are not elements. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes']);
/** How far down the stack a closing tag looks for its element (a stray one closes nothing). */
const CLOSE_SEARCH = 64;

const TAG = /<(\/?)([a-zA-Z][^\s/>]*)[^>]*?(\/?)>|<!--|<!\[CDATA\[/g;

/**
 * An estimate of an HTML document's element nesting, in one linear pass: parsers (parse5, htmlparser2) take time
 * quadratic in the depth, so a deeply nested document must be turned away before it reaches them. Errs on the
 * deep side (it knows only the common implied end tags); stops counting once past `stopAt`.
 */
export function htmlNestingDepth(html: string, stopAt = MAX_HTML_DEPTH): number {
  const stack: string[] = [];
  let deepest = 0;
  TAG.lastIndex = 0;
  for (let match = TAG.exec(html); match; match = TAG.exec(html)) {
    if (match[0] === '<!--' || match[0] === '<![CDATA[') {
      const end = html.indexOf(match[0] === '<!--' ? '-->' : ']]>', TAG.lastIndex);
      if (end < 0) break;
      TAG.lastIndex = end + 3;
      continue;
    }
    const name = (match[2] ?? '').toLowerCase();
    if (match[1] === '/') {
      const from = Math.max(0, stack.length - CLOSE_SEARCH);
      const at = stack.lastIndexOf(name);
      if (at >= from) stack.length = at;
      continue;
    }
    if (VOID.has(name) || match[3] === '/') continue;
    if (RAW_TEXT.has(name)) {
      const close = new RegExp(`</${name}`, 'ig');
      close.lastIndex = TAG.lastIndex;
      if (!close.exec(html)) break;
      TAG.lastIndex = close.lastIndex - name.length - 2;
      continue;
    }
    if (SELF_CLOSING_SIBLINGS.has(name) && stack.at(-1) === name) continue;
    stack.push(name);
    if (stack.length > deepest) deepest = stack.length;
    if (deepest > stopAt) return deepest;
  }
  return deepest;
}
