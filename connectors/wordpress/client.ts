import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { basicStyle } from '../sdk/auth/header-styles.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient } from '../sdk/rest/index.ts';
import { wpVendorError } from './rest-error.ts';
import { SiteUrl, siteApiUrl } from './site-url.ts';

export const WordpressCredential = z.strictObject({
  siteUrl: SiteUrl.describe('The site address, e.g. "https://blog.example.com" (a subdirectory is kept).'),
  username: z
    .string()
    .min(1)
    .max(200)
    .describe('The WordPress user name the application password belongs to.'),
  applicationPassword: z
    .string()
    .regex(/^[A-Za-z0-9 ]{16,64}$/, 'an application password, e.g. "abcd EFGH 1234 ijkl MNOP 6789"')
    .describe('An Application Password (Users → Profile → Application Passwords), spaces allowed.'),
});
export type WordpressCredential = z.infer<typeof WordpressCredential>;

const CODE_HINTS: Readonly<Record<string, string>> = {
  rest_cannot_create:
    'The user cannot publish here: give it the Author role or higher (Editor for others’ posts), or create the post as a draft.',
  rest_cannot_edit: 'The user may not edit this post: it belongs to someone else and the user is no Editor.',
  rest_cannot_publish:
    'The user may not publish: use status "draft" or "pending", or give it the Author role.',
  rest_post_invalid_id: 'Check postId: no post has that id (it may be in the trash or be a page).',
  rest_upload_no_data: 'The file is empty: pass a file from an earlier step.',
  rest_upload_sideload_error:
    'WordPress refused the file type: upload an image, PDF or another type the site allows.',
  rest_upload_file_too_big:
    'The file is larger than the site allows (upload_max_filesize); upload a smaller one.',
  rest_invalid_param: 'Change the parameter the message names.',
  rest_post_invalid_page_number: 'There are fewer pages: ask for a smaller page or a smaller limit.',
  incorrect_password:
    'The application password was revoked or is wrong: create a new one in Users → Profile → Application Passwords and store it with `vmesh credentials set NAME --type wordpress`.',
  invalid_username:
    'No user has that name: store the credential again with the user name shown in Users → Profile (`vmesh credentials set NAME --type wordpress`).',
  rest_not_logged_in:
    'The site did not see the Authorization header (some hosts strip it; a plugin may block application passwords): check the server passes it, then store the credential again.',
  application_passwords_disabled:
    'Application passwords are disabled on this site (a security plugin, or a site without https): enable them.',
};

/** The WordPress REST API (wp/v2) of the credential's site, with an Application Password over basic auth. */
export const wordpressApi: RestApi<WordpressCredential> = {
  connector: 'wordpress',
  baseUrl: 'https://wordpress.invalid/wp-json/wp/v2',
  auth: (credential) =>
    bindAuth(basicStyle, { username: credential.username, password: credential.applicationPassword }),
  vendorError: (body) => wpVendorError(body, CODE_HINTS),
  hints: {
    401: 'WordPress refused the application password: create a new one in Users → Profile → Application Passwords and store it with `vmesh credentials set NAME --type wordpress`.',
    403: 'The user lacks the role for this: Author to publish own posts and upload media, Editor for others’ posts.',
    404: 'Check the id, and that the site address is right (the REST API lives under /wp-json/).',
  },
};

/** A client for the credential's site; `env.baseUrls.wordpress` (tests) replaces the whole API root. */
export function createWordpressClient(options: {
  credential: WordpressCredential | undefined;
  env: ConnectorEnvironment;
}): RestClient {
  const baseUrl = options.credential
    ? siteApiUrl(options.credential.siteUrl, 'wp-json/wp/v2')
    : wordpressApi.baseUrl;
  return createRestClient({ ...wordpressApi, baseUrl }, options);
}

const Rendered = z.object({ rendered: z.string(), raw: z.string().optional() }).loose();

/** A post as wp/v2 answers it (the fields this connector reads). */
export const WordpressPostBody = z.object({
  id: z.number().int(),
  date: z.string().nullable().optional(),
  date_gmt: z.string().nullable().optional(),
  modified_gmt: z.string().nullable().optional(),
  slug: z.string(),
  status: z.string(),
  link: z.string(),
  title: Rendered,
  content: Rendered.optional(),
  excerpt: Rendered.optional(),
  author: z.number().int().optional(),
  featured_media: z.number().int().optional(),
  categories: z.array(z.number().int()).optional(),
  tags: z.array(z.number().int()).optional(),
});

export const Post = z.object({
  id: z.number().int().describe('The post id.'),
  status: z.string().describe('publish, future, draft, pending or private.'),
  title: z.string().describe('The title as rendered (HTML entities kept).'),
  slug: z.string().describe('The URL slug.'),
  link: z.string().describe('The public address of the post.'),
  date: z.string().nullable().describe('Publication date in the site’s time zone (ISO 8601), or null.'),
  modifiedGmt: z.string().nullable().describe('Last change, UTC (ISO 8601).'),
  excerpt: z.string().describe('The excerpt as rendered HTML.'),
  authorId: z.number().int().nullable().describe('The author’s user id.'),
  featuredMediaId: z.number().int().describe('The featured image’s media id, 0 for none.'),
  categories: z.array(z.number().int()).describe('Category ids.'),
  tags: z.array(z.number().int()).describe('Tag ids.'),
});
export type Post = z.infer<typeof Post>;

export function toPost(raw: unknown): Post {
  const post = WordpressPostBody.parse(raw);
  return {
    id: post.id,
    status: post.status,
    title: post.title.rendered,
    slug: post.slug,
    link: post.link,
    date: post.date ?? null,
    modifiedGmt: post.modified_gmt ?? null,
    excerpt: post.excerpt?.rendered ?? '',
    authorId: post.author ?? null,
    featuredMediaId: post.featured_media ?? 0,
    categories: post.categories ?? [],
    tags: post.tags ?? [],
  };
}

export const PostStatus = z
  .enum(['publish', 'future', 'draft', 'pending', 'private'])
  .describe(
    'publish (live now), draft, pending (for review), private, or future (with `date`), e.g. "draft".',
  );

/** The post fields createPost and updatePost share. */
export const PostFields = {
  content: z
    .string()
    .max(1_000_000)
    .describe('The body as HTML (block markup allowed), e.g. "<p>Hello</p>".'),
  excerpt: z.string().max(10_000).optional().describe('A short summary shown in lists, e.g. "What changed".'),
  status: PostStatus.optional(),
  slug: z
    .string()
    .regex(/^[a-z0-9-]{1,200}$/, 'lower-case letters, digits and -')
    .optional()
    .describe('The URL slug, e.g. "spring-sale"; default from the title.'),
  date: z.iso
    .datetime({ local: true, offset: true })
    .optional()
    .describe(
      'Publication date in the site’s time zone, e.g. "2026-12-24T09:00:00"; with status "future" it schedules.',
    ),
  categories: z.array(z.number().int().positive()).max(100).optional().describe('Category ids, e.g. [4, 7].'),
  tags: z.array(z.number().int().positive()).max(100).optional().describe('Tag ids, e.g. [12].'),
  featuredMediaId: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('A media id from uploadMedia to show as the featured image, e.g. 812 (0 removes it).'),
};

export function postBody(input: {
  title?: string | undefined;
  content?: string | undefined;
  excerpt?: string | undefined;
  status?: string | undefined;
  slug?: string | undefined;
  date?: string | undefined;
  categories?: number[] | undefined;
  tags?: number[] | undefined;
  featuredMediaId?: number | undefined;
}) {
  return {
    title: input.title,
    content: input.content,
    excerpt: input.excerpt,
    status: input.status,
    slug: input.slug,
    date: input.date,
    categories: input.categories,
    tags: input.tags,
    featured_media: input.featuredMediaId,
  };
}
