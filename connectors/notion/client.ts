import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import { type OAuth2Credential, oauth2Style } from '../sdk/auth/oauth2.ts';
import type { RestApi } from '../sdk/rest/index.ts';

export const NOTION_API_URL = 'https://api.notion.com/v1';
export const NOTION_VERSION = '2022-06-28';

export const NotionToken = z.strictObject({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{20,200}$/, 'a Notion integration secret ("ntn_…" or "secret_…")')
    .describe('The internal integration secret from notion.so/profile/integrations, sent as a bearer token.'),
});
export type NotionToken = z.infer<typeof NotionToken>;

/** What the client receives: an integration secret (`notion`) or a connected `oauth2` credential. */
export type NotionCredential = NotionToken | OAuth2Credential;

const NotionErrorBody = z.object({
  object: z.literal('error'),
  status: z.number().int().optional(),
  code: z.string(),
  message: z.string().optional(),
});

const SHARE_HINT =
  'Share the page or database with the integration: open it in Notion, ••• → Connections → add the integration (a child page inherits it).';
const CODE_HINTS: Record<string, string> = {
  unauthorized:
    'The Notion token is invalid or was revoked: copy the integration secret again (notion.so/profile/integrations) and store it with `vmesh credentials set NAME --type notion`, or connect again with `vmesh credentials connect NAME --type oauth2 --provider notion`.',
  restricted_resource: `The integration may not do this: ${SHARE_HINT} Check its capabilities (read, update, insert content).`,
  object_not_found: `Notion cannot find it, or it is not shared with the integration. ${SHARE_HINT}`,
  validation_error:
    'A property name or value does not match the database: use the exact property names and the value shapes of the Notion API (see the connector doc).',
  conflict_error: 'Notion had a conflicting edit at the same time; the step is retried.',
  rate_limited: 'Notion allows about 3 requests per second per integration; the step waits as Notion asks.',
  missing_version: 'The Notion-Version header is missing; this is a connector bug, report it.',
};

/** Notion's API (Notion-Version 2022-06-28): errors are `{ object: "error", status, code, message }`. */
export const notionApi: RestApi<NotionCredential> = {
  connector: 'notion',
  baseUrl: NOTION_API_URL,
  auth: (credential) =>
    'accessToken' in credential
      ? bindAuth(oauth2Style, credential)
      : bindAuth(bearerStyle, { token: credential.token }),
  headers: { 'notion-version': NOTION_VERSION },
  vendorError(body) {
    const parsed = NotionErrorBody.safeParse(body);
    if (!parsed.success) return undefined;
    const { code, message } = parsed.data;
    return {
      message: message ?? code,
      vendorCode: code,
      hint: CODE_HINTS[code],
      ...(code === 'conflict_error' ? { retryable: true } : {}),
    };
  },
  hints: {
    401: CODE_HINTS.unauthorized,
    403: CODE_HINTS.restricted_resource,
    404: CODE_HINTS.object_not_found,
  },
};

export const NotionId = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
    'a Notion id: 32 hex digits, with or without dashes (the end of the page’s URL)',
  );

const RichText = z.array(z.object({ plain_text: z.string().optional() }).loose());
const Named = z.object({ name: z.string() }).loose();

const PropertyValue = z.looseObject({ type: z.string() });

/** A Notion property value as plain data: text for title/rich_text, the name of a select, the start of a date… */
export function plainProperty(raw: unknown): unknown {
  const property = PropertyValue.safeParse(raw);
  if (!property.success) return null;
  const value: unknown = property.data[property.data.type];
  const text = (rich: unknown) =>
    RichText.safeParse(rich)
      .data?.map((part) => part.plain_text ?? '')
      .join('') ?? '';
  switch (property.data.type) {
    case 'title':
    case 'rich_text':
      return text(value);
    case 'select':
    case 'status':
      return Named.safeParse(value).data?.name ?? null;
    case 'multi_select':
      return (
        z
          .array(Named)
          .safeParse(value)
          .data?.map((option) => option.name) ?? []
      );
    case 'date':
      return z.object({ start: z.string() }).loose().safeParse(value).data?.start ?? null;
    case 'people':
    case 'relation':
      return (
        z
          .array(z.object({ id: z.string() }).loose())
          .safeParse(value)
          .data?.map((item) => item.id) ?? []
      );
    default:
      // number, checkbox, url, email, phone_number, created_time…: already plain; others as Notion sent them.
      return value ?? null;
  }
}

const PageBody = z.object({
  object: z.literal('page'),
  id: z.string(),
  url: z.string().optional(),
  created_time: z.string(),
  last_edited_time: z.string(),
  archived: z.boolean().default(false),
  parent: z.looseObject({ type: z.string() }),
  properties: z.record(z.string(), z.unknown()).default({}),
});

export const Page = z.object({
  id: z.string().describe('The page id.'),
  url: z.string().describe('Link to the page in Notion.'),
  createdTime: z.string().describe('When it was created (ISO; Notion rounds to the minute).'),
  lastEditedTime: z.string().describe('When it was last edited (ISO).'),
  archived: z.boolean().describe('Whether it is archived (in the trash).'),
  parentId: z.string().nullable().describe('The database or page it is in.'),
  title: z.string().describe('The page title as plain text.'),
  properties: z
    .record(z.string(), z.unknown())
    .describe('Property values as plain data by name: text, numbers, select names, date starts, ids.'),
  rawProperties: z.record(z.string(), z.unknown()).describe('The property values as Notion sent them.'),
});
export type Page = z.infer<typeof Page>;

export function toPage(raw: unknown): Page {
  const page = PageBody.parse(raw);
  const properties = Object.fromEntries(
    Object.entries(page.properties).map(([name, value]) => [name, plainProperty(value)]),
  );
  const titleEntry = Object.entries(page.properties).find(
    ([, value]) => PropertyValue.safeParse(value).data?.type === 'title',
  );
  const parentId = page.parent[page.parent.type];
  return {
    id: page.id,
    url: page.url ?? `https://www.notion.so/${page.id.replaceAll('-', '')}`,
    createdTime: page.created_time,
    lastEditedTime: page.last_edited_time,
    archived: page.archived,
    parentId: typeof parentId === 'string' ? parentId : null,
    title: titleEntry ? String(plainProperty(titleEntry[1]) ?? '') : '',
    properties,
    rawProperties: page.properties,
  };
}

/** Notion's limit per rich text object. */
const MAX_TEXT = 2000;

export function richText(content: string) {
  const parts: { type: 'text'; text: { content: string } }[] = [];
  for (let start = 0; start < content.length || parts.length === 0; start += MAX_TEXT) {
    parts.push({ type: 'text', text: { content: content.slice(start, start + MAX_TEXT) } });
  }
  return parts;
}

export function paragraphBlocks(paragraphs: readonly string[]) {
  return paragraphs.map((content) => ({
    object: 'block' as const,
    type: 'paragraph' as const,
    paragraph: { rich_text: richText(content) },
  }));
}

export const Paragraphs = z
  .array(z.string().max(20_000))
  .max(100)
  .optional()
  .describe('Plain text paragraphs to add as blocks, e.g. ["Called on Monday.", "Wants a demo."].');
export const Blocks = z
  .array(z.looseObject({ type: z.string().min(1) }))
  .max(100)
  .optional()
  .describe(
    'Blocks in the Notion API’s shape, e.g. [{"type":"to_do","to_do":{"rich_text":[{"text":{"content":"Call"}}]}}].',
  );
export const Properties = z
  .record(z.string().min(1).max(200), z.unknown())
  .optional()
  .describe(
    'Property values in the Notion API’s shape by property name, e.g. {"Status": {"select": {"name": "New"}}, "Amount": {"number": 1200}}.',
  );

/** The children of a page or an append: the paragraphs first, then the raw blocks, at most 100 (Notion's limit). */
export function childrenOf(input: { paragraphs?: string[] | undefined; blocks?: unknown[] | undefined }) {
  return [...paragraphBlocks(input.paragraphs ?? []), ...(input.blocks ?? [])].slice(0, 100);
}

export const QueryPage = z.object({
  results: z.array(z.unknown()).max(100),
  next_cursor: z.string().nullable().optional(),
  has_more: z.boolean().default(false),
});
