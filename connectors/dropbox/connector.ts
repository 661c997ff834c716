import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { BoundAuth } from '../sdk/auth/auth-style.ts';
import { oauth2Style } from '../sdk/auth/oauth2.ts';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { downloadFile } from './actions/download-file.ts';
import { listFolder } from './actions/list-folder.ts';
import { uploadFile } from './actions/upload-file.ts';
import { createDropboxClient, type DropboxClient, DropboxToken, dropboxAuth } from './client.ts';
import { dropboxOAuthProvider } from './oauth-provider.ts';

const Account = z.object({ email: z.string().optional() });

export const dropboxConnector = defineConnector<BoundAuth, DropboxClient>({
  id: 'dropbox',
  version: '1.0.0',
  title: 'Dropbox',
  description: 'Upload files to Dropbox, download them and list folders (Dropbox API v2).',
  credential: {
    type: 'dropbox',
    schema: DropboxToken,
    howToGet:
      'Best: connect with OAuth — `vmesh credentials connect NAME --type oauth2 --provider dropbox` (register an app at ' +
      'dropbox.com/developers/apps with the files.* scopes; tokens then renew by themselves). For a quick test: the ' +
      'app console’s "Generated access token" (expires after 4 hours), stored with `vmesh credentials set NAME --type dropbox`.',
    fromToken: (token) => ({ token }),
    wireSecrets: (credential: DropboxToken) => authorizationWireSecrets(credential.token, ['Bearer']),
    alternatives: [oauth2Style],
    adopt: dropboxAuth,
  },
  oauthProviders: [dropboxOAuthProvider],
  // Dropbox does not publish a number; it answers 429 with Retry-After, which tightens the budget anyway.
  rateLimit: { requests: 600, perSeconds: 60, burst: 20 },
  createClient: createDropboxClient,
  async testCredential({ client, signal }) {
    const account = Account.safeParse(await client.rpc('/2/users/get_current_account', null, signal));
    return `Dropbox accepts it${account.data?.email ? `: ${account.data.email}` : ''}.`;
  },
  actions: [uploadFile, downloadFile, listFolder],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
