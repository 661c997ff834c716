import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { dedupe } from './actions/dedupe.ts';
import { get, increment, remove, set } from './actions/kv.ts';

export const stateConnector = defineConnector<undefined, undefined>({
  id: 'state',
  version: '1.0.0',
  title: 'Workflow state',
  description:
    "A key-value store of the workflow's own, kept across its runs: get/set (with compare-and-set), atomic " +
    'counters, delete, and dropping items seen in earlier runs. Stored in the VelocityMesh database.',
  createClient: () => undefined,
  actions: [get, set, increment, remove, dedupe],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
