import { convert } from 'html-to-text';

/**
 * Plain text from an HTML fragment of a feed (a title, a description): markup, comments, images and the content of
 * script/style elements are dropped, links keep their text only, whitespace is collapsed. The result is text for
 * messages and prompts, not markup: whoever renders it as HTML escapes it.
 */
export function toPlainText(html: string): string {
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'noscript', format: 'skip' },
      { selector: 'template', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'h4', options: { uppercase: false } },
      { selector: 'h5', options: { uppercase: false } },
      { selector: 'h6', options: { uppercase: false } },
    ],
  });
  return text.replace(/\s+/g, ' ').trim();
}

/** At most `max` characters (by code point, so no surrogate pair is cut), with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text.slice(0, max * 2));
  if (points.length <= max && text.length <= max * 2) return text;
  return `${points.slice(0, max - 1).join('')}…`;
}
