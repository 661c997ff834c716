import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { fromJson } from './actions/from-json.ts';
import { toJson } from './actions/to-json.ts';

export const xmlConnector = defineConnector<undefined, undefined>({
  id: 'xml',
  version: '1.0.0',
  title: 'XML',
  description:
    'Turn XML into JSON and JSON into XML inside a workflow (SOAP and XML APIs, sitemaps, feeds, invoices). ' +
    'Pure: no credential, no network.',
  createClient: () => undefined,
  actions: [toJson, fromJson],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
