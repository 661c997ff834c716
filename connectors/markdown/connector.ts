import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { fromHtml } from './actions/from-html.ts';
import { toHtml } from './actions/to-html.ts';

export const markdownConnector = defineConnector<undefined, undefined>({
  id: 'markdown',
  version: '1.0.0',
  title: 'Markdown',
  description:
    'Render Markdown as (sanitized) HTML and turn HTML into Markdown inside a workflow. Pure: no credential, no ' +
    'network.',
  createClient: () => undefined,
  actions: [toHtml, fromHtml],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
