import { Marked, type Tokens } from 'marked';
import { z } from 'zod';
import { dataError } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';

const MAX_MARKDOWN_CHARS = 1_000_000;

export const MarkdownToHtmlInput = z.strictObject({
  markdown: z
    .string()
    .max(MAX_MARKDOWN_CHARS)
    .describe('Markdown text (GitHub flavour; at most 1,000,000 characters).'),
  allowHtml: z
    .boolean()
    .default(false)
    .describe(
      'Pass raw HTML in the Markdown through as is. UNSAFE for text from outside: it can carry scripts. Default false: raw HTML is shown as text.',
    ),
});

export const MarkdownToHtmlOutput = z.object({
  html: z.string().describe('The HTML (a fragment, no <html> wrapper).'),
});

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);

/** Link and image targets kept by the sanitized output: anything else (javascript:, data:, vbscript:) becomes "#". */
const SAFE_URL = /^(?:https?:|mailto:|tel:|#|\/|\.{0,2}\/|[^:]*$)/i;

function createMarked(allowHtml: boolean): Marked {
  const marked = new Marked({ gfm: true, async: false });
  if (allowHtml) return marked;
  marked.use({
    renderer: { html: (token: Tokens.HTML | Tokens.Tag) => escapeHtml(token.text) },
    walkTokens: (token) => {
      if ((token.type === 'link' || token.type === 'image') && !SAFE_URL.test(token.href.trim()))
        token.href = '#';
    },
  });
  return marked;
}

const safeMarked = createMarked(false);
const rawMarked = createMarked(true);

export const toHtml = defineAction({
  key: 'toHtml',
  title: 'Markdown to HTML',
  description:
    'Render Markdown as HTML (for emails, web pages, Discord/Slack-unfriendly targets). Sanitized by default: raw ' +
    'HTML is escaped and javascript:/data: links are removed.',
  effect: 'pure',
  idempotent: true,
  input: MarkdownToHtmlInput,
  output: MarkdownToHtmlOutput,
  async run(input) {
    try {
      const html = (input.allowHtml ? rawMarked : safeMarked).parse(input.markdown, { async: false });
      return { html };
    } catch (error) {
      if (error instanceof RangeError) {
        throw dataError(
          'E_MARKDOWN_TOO_DEEP',
          'markdown.toHtml: the Markdown is nested too deeply (quotes or lists inside each other) to render.',
          'Real documents are far shallower; check where the text comes from.',
          error,
        );
      }
      throw error;
    }
  },
});
