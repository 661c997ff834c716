import { z } from 'zod';
import { defineOAuth2Provider, refusedAnswer } from '../sdk/auth/oauth2-provider.ts';

/** Notion public connections: Basic auth and a JSON body at the token endpoint; no scopes; owner=user. */
const NotionError = z.object({
  object: z.literal('error'),
  code: z.string(),
  message: z.string().optional(),
});
export const notionOAuthProvider = defineOAuth2Provider({
  id: 'notion',
  apiHosts: ['api.notion.com'],
  title: 'Notion',
  authorizeUrl: 'https://api.notion.com/v1/oauth/authorize',
  tokenUrl: 'https://api.notion.com/v1/oauth/token',
  scopes: [],
  authorizeParams: { owner: 'user' },
  clientAuth: 'client_secret_basic',
  tokenRequestBody: 'json',
  docsUrl: 'https://developers.notion.com/docs/authorization',
  notes: 'No scopes: the person picks the pages to share. Access tokens do not expire.',
  readTokenAnswer(answer) {
    const failure = NotionError.safeParse(answer.json);
    if (answer.ok || !failure.success) return answer;
    return refusedAnswer(answer, failure.data.code, failure.data.message);
  },
});
