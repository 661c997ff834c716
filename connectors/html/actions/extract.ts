import { load } from 'cheerio';
import { z } from 'zod';
import { dataError, MAX_DATA_CHARS } from '../../sdk/data-error.ts';
import { type ActionIssue, defineAction } from '../../sdk/define.ts';
import { htmlNestingDepth, MAX_HTML_DEPTH } from '../../sdk/html-nesting-depth.ts';

/** Most matches one `all` selector returns. */
const MAX_MATCHES = 1_000;
/** Longest text one value keeps. */
const MAX_VALUE_CHARS = 100_000;

export const FieldSelector = z.strictObject({
  selector: z
    .string()
    .min(1)
    .max(500)
    .describe('A CSS selector, e.g. "h1", "a.title", "meta[property=og:image]".'),
  attribute: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      'Read this attribute (e.g. "href", "content") instead of the text. "html" gives the inner HTML.',
    ),
  all: z
    .boolean()
    .default(false)
    .describe('Every match as a list (at most 1,000). Default false: the first match, or null.'),
});

export const HtmlExtractInput = z.strictObject({
  html: z.string().max(MAX_DATA_CHARS).describe('The HTML page or fragment (at most 5,000,000 characters).'),
  selectors: z
    .record(
      z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/),
      z.union([z.string().min(1).max(500), FieldSelector]),
    )
    .refine((value) => Object.keys(value).length >= 1 && Object.keys(value).length <= 50, {
      message: 'give between 1 and 50 selectors',
    })
    .describe(
      "Output name → what to read: a CSS selector (the first match's text) or { selector, attribute?, all? }.",
    ),
  baseUrl: z
    .url()
    .optional()
    .describe("Resolve relative href/src values against this URL (e.g. the page's own address)."),
});

export const HtmlExtractOutput = z.object({
  data: z
    .record(z.string(), z.union([z.string(), z.null(), z.array(z.string())]))
    .describe('One key per selector: the text (or attribute), null when nothing matched, a list with all.')
    .meta({ examples: [{ title: 'Example page title', links: ['https://example.com/a'] }] }),
});

/** Whether cheerio can parse `selector` (an empty document is enough to compile it). */
function selectorProblem(selector: string): string | undefined {
  try {
    load('')(selector);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The selectors written literally in `with.selectors` that do not parse (expressions are checked at run time). */
function checkSelectors(withValue: Record<string, unknown>): ActionIssue[] {
  const selectors = withValue.selectors;
  if (!selectors || typeof selectors !== 'object' || Array.isArray(selectors)) return [];
  const issues: ActionIssue[] = [];
  for (const [name, spec] of Object.entries(selectors)) {
    const literal = typeof spec === 'string' ? spec : (spec as { selector?: unknown } | null)?.selector;
    if (typeof literal !== 'string' || literal.includes('{{')) continue;
    const problem = selectorProblem(literal);
    if (problem) {
      issues.push({
        code: 'E_HTML_SELECTOR',
        field: typeof spec === 'string' ? `/selectors/${name}` : `/selectors/${name}/selector`,
        message: `"${name}" is not a valid CSS selector (${problem.slice(0, 120)}).`,
        hint: 'Use a CSS selector such as "h1", "div.price > span", "a[href]" or "meta[name=description]".',
      });
    }
  }
  return issues;
}

const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'poster', 'cite']);

function resolveUrl(value: string, base: string | undefined): string {
  if (!base) return value;
  try {
    return new URL(value, base).toString();
  } catch {
    return value;
  }
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, MAX_VALUE_CHARS);

export const extract = defineAction({
  key: 'extract',
  title: 'Extract from HTML',
  description:
    'Read values out of an HTML page by CSS selector (a title, prices, links, meta tags): text or an attribute, ' +
    'first match or all. Use after http.request on a web page.',
  effect: 'pure',
  idempotent: true,
  input: HtmlExtractInput,
  output: HtmlExtractOutput,
  checkWith: checkSelectors,
  async run(input) {
    if (htmlNestingDepth(input.html) > MAX_HTML_DEPTH) {
      throw dataError(
        'E_HTML_TOO_DEEP',
        `html.extract: elements are nested deeper than ${MAX_HTML_DEPTH} levels.`,
        'Real pages are far shallower; check where the HTML comes from, or cut out the part you need first.',
      );
    }
    const $ = load(input.html);
    const data: Record<string, string | null | string[]> = {};
    for (const [name, spec] of Object.entries(input.selectors)) {
      const field = typeof spec === 'string' ? { selector: spec, all: false, attribute: undefined } : spec;
      let matches: ReturnType<typeof $>;
      try {
        matches = $(field.selector);
      } catch (error) {
        throw dataError(
          'E_HTML_SELECTOR',
          `html.extract: "${name}" has an invalid CSS selector ${JSON.stringify(field.selector)}.`,
          'Use a CSS selector such as "h1", "div.price > span", "a[href]" or "meta[name=description]".',
          error,
        );
      }
      const read = (index: number): string | null => {
        const element = matches.eq(index);
        if (field.attribute === 'html') return (element.html() ?? '').slice(0, MAX_VALUE_CHARS);
        if (field.attribute) {
          const value = element.attr(field.attribute);
          if (value === undefined) return null;
          return URL_ATTRIBUTES.has(field.attribute)
            ? resolveUrl(value, input.baseUrl)
            : value.slice(0, MAX_VALUE_CHARS);
        }
        return squash(element.text());
      };
      if (field.all) {
        const values: string[] = [];
        for (let index = 0; index < Math.min(matches.length, MAX_MATCHES); index++) {
          const value = read(index);
          if (value !== null) values.push(value);
        }
        data[name] = values;
      } else {
        data[name] = matches.length > 0 ? read(0) : null;
      }
    }
    return { data };
  },
});
