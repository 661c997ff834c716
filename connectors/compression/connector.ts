import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { gunzip, gzip } from './actions/gzip.ts';
import { unzip, zip } from './actions/zip.ts';

export const compressionConnector = defineConnector<undefined, undefined>({
  id: 'compression',
  version: '1.0.0',
  title: 'Compression',
  description:
    'Gzip/gunzip and zip/unzip of text or base64 content inside a workflow, with decompressed-size caps against ' +
    'compression bombs. Pure: no credential, no network.',
  createClient: () => undefined,
  actions: [gzip, gunzip, zip, unzip],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
