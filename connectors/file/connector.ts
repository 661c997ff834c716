import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { convert } from './actions/convert.ts';
import { extract } from './actions/extract.ts';

export const fileConnector = defineConnector<undefined, undefined>({
  id: 'file',
  version: '1.0.0',
  title: 'Files',
  description:
    'Read files of a run (csv, xlsx, pdf, docx, json, xml, html, text) into rows, text or data, and write rows, data or text as new files.',
  createClient: () => undefined,
  actions: [extract, convert],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
