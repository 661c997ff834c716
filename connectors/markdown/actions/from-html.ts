import TurndownService from 'turndown';
import { z } from 'zod';
import { dataError, MAX_DATA_CHARS } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { htmlNestingDepth, MAX_HTML_DEPTH } from '../../sdk/html-nesting-depth.ts';

export const MarkdownFromHtmlInput = z.strictObject({
  html: z.string().max(MAX_DATA_CHARS).describe('The HTML page or fragment (at most 5,000,000 characters).'),
  headingStyle: z
    .enum(['atx', 'setext'])
    .default('atx')
    .describe('"atx" (# Title, default) or "setext" (Title underlined with ===).'),
  bulletListMarker: z.enum(['-', '*', '+']).default('-').describe('The list bullet. Default "-".'),
});

export const MarkdownFromHtmlOutput = z.object({ markdown: z.string().describe('The Markdown text.') });

export const fromHtml = defineAction({
  key: 'fromHtml',
  title: 'HTML to Markdown',
  description:
    'Turn HTML (a web page, an email body) into Markdown: readable text for an llm.* step, a chat message or a ' +
    'file. Scripts and styles are dropped.',
  effect: 'pure',
  idempotent: true,
  input: MarkdownFromHtmlInput,
  output: MarkdownFromHtmlOutput,
  async run(input) {
    if (htmlNestingDepth(input.html) > MAX_HTML_DEPTH) {
      throw dataError(
        'E_HTML_TOO_DEEP',
        `markdown.fromHtml: elements are nested deeper than ${MAX_HTML_DEPTH} levels.`,
        'Real pages are far shallower; check where the HTML comes from.',
      );
    }
    const turndown = new TurndownService({
      headingStyle: input.headingStyle,
      bulletListMarker: input.bulletListMarker,
      codeBlockStyle: 'fenced',
    });
    turndown.remove(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'embed']);
    return { markdown: turndown.turndown(input.html) };
  },
});
