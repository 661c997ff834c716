import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { extract } from './actions/extract.ts';

export const htmlConnector = defineConnector<undefined, undefined>({
  id: 'html',
  version: '1.0.0',
  title: 'HTML',
  description:
    'Read values out of HTML pages by CSS selector (scraping a page fetched with http.request). Pure: no ' +
    'credential, no network.',
  createClient: () => undefined,
  actions: [extract],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
