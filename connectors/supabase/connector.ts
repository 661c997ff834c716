import { fileURLToPath } from 'node:url';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import type { RestClient } from '../sdk/rest/index.ts';
import { selectRows } from './actions/select-rows.ts';
import { downloadFile, uploadFile } from './actions/storage.ts';
import { deleteRows, insertRows, updateRows, upsertRows } from './actions/write-rows.ts';
import { createSupabaseClient, SupabaseCredential } from './client.ts';

export const supabaseConnector = defineConnector<SupabaseCredential, RestClient>({
  id: 'supabase',
  version: '1.0.0',
  title: 'Supabase',
  description:
    'Read, insert, update, upsert and delete rows of Supabase tables (PostgREST) and upload or download Storage files.',
  credential: {
    type: 'supabase',
    schema: SupabaseCredential,
    howToGet:
      'In the Supabase dashboard: Project Settings → API → copy the Project URL and the service_role key (full access, bypasses row level security) or the anon key (row level security applies), then `vmesh credentials set NAME --type supabase` with {"projectUrl":"https://abcdefghij.supabase.co","apiKey":"…"}.',
    wireSecrets: (credential: SupabaseCredential) => authorizationWireSecrets(credential.apiKey, ['Bearer']),
    publicFields: ['projectUrl'],
  },
  // Supabase documents no per-key request limit for the REST API; keep a project's connection pool breathing.
  rateLimit: { requests: 20, perSeconds: 1, burst: 40 },
  createClient: createSupabaseClient,
  async testCredential({ client, signal }) {
    // The OpenAPI description of the exposed tables: any valid key may read it.
    await client.send({ method: 'GET', path: '/rest/v1/' }, signal);
    return 'Supabase accepts the API key.';
  },
  actions: [selectRows, insertRows, updateRows, upsertRows, deleteRows, uploadFile, downloadFile],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
