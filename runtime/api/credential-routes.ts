import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { needs, principalOf } from '../../access/index.ts';
import { CredentialName } from '../../connectors/index.ts';
import type { CredentialService } from '../store/credential-service.ts';
import { parseRequest } from './http-errors.ts';
import type { RouteDoc } from './openapi.ts';

const NameParams = z.object({ name: z.string().min(1).max(64) });
export const RenameCredentialBody = z.strictObject({
  name: CredentialName,
  /** Rename even while active workflows use the old name (they are not rewritten). */
  force: z.boolean().optional(),
});
const ForceQuery = z.object({ force: z.enum(['true', 'false']).optional() });

const VIEW =
  '{ name, type, owner, scope, state: connected|needs_reconnect|expired, stateReason, lastUsedAt, createdAt, updatedAt, usedBy: [{ id, name, active }], usedByHidden }';

export const CREDENTIAL_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/credentials',
    summary: `The credentials you may use (admins: all) → { credentials: [${VIEW}] }; never a secret. usedBy: the workflows you may see whose current version names it; usedByHidden: how many others`,
  },
  {
    method: 'get',
    path: '/api/credentials/{name}',
    summary: `One credential → ${VIEW} (404 if you may not use it)`,
  },
  {
    method: 'get',
    path: '/api/credential-types',
    summary:
      'The credential types the connectors declare → { types: [{ type, title?, howToGet, connect: oauth2|paste|none, fields: [{ name, label, secret, optional, list }], settings? }] }: field names only, never a value. connect says how POST /api/credentials/{name}/connect connects it (oauth2: settings are the fields it takes; paste: a form with fields; none: `vmesh credentials set` only)',
  },
  {
    method: 'post',
    path: '/api/credentials/{name}/test',
    summary:
      'Decrypt it, check it against its type and, for types with a test request (slack auth.test, github GET /user), ask the vendor → { name, type, ok: true|false|null, message } (null: no test request for the type; a refusal marks it needs_reconnect)',
  },
  {
    method: 'patch',
    path: '/api/credentials/{name}',
    summary:
      'Rename: { name: NEW, force? } → the credential (its owner or credential.manage_all; 409 E_CREDENTIAL_IN_USE naming the active workflows that use it, unless force; workflows are not rewritten; audited credential.renamed)',
    body: RenameCredentialBody,
  },
  {
    method: 'delete',
    path: '/api/credentials/{name}',
    summary:
      'Delete → { name, deleted, usedBy, usedByHidden } (its owner or credential.manage_all; 409 E_CREDENTIAL_IN_USE naming the active workflows that use it, unless ?force=true: then their next steps fail for a missing credential; audited credential.deleted)',
  },
];

/** /api/credentials: list, show, test, rename and delete, and /api/credential-types; no route ever returns a secret. */
export function registerCredentialRoutes(
  app: FastifyInstance,
  options: { credentials: CredentialService },
): void {
  const { credentials } = options;
  app.get('/api/credentials', needs('credential.use'), async (request) => ({
    credentials: await credentials.list(principalOf(request)),
  }));
  app.get('/api/credential-types', needs('credential.use'), async () => ({ types: credentials.types() }));
  app.get('/api/credentials/:name', needs('credential.use'), async (request) => {
    const { name } = parseRequest(NameParams, request.params, 'path');
    return credentials.show(name, principalOf(request));
  });
  app.post('/api/credentials/:name/test', needs('credential.use'), async (request) => {
    const { name } = parseRequest(NameParams, request.params, 'path');
    return credentials.test(name, principalOf(request));
  });
  app.patch('/api/credentials/:name', needs('credential.manage'), async (request) => {
    const { name } = parseRequest(NameParams, request.params, 'path');
    const body = parseRequest(RenameCredentialBody, request.body, 'body');
    return credentials.rename(name, body.name, principalOf(request), { force: body.force === true });
  });
  app.delete('/api/credentials/:name', needs('credential.manage'), async (request) => {
    const { name } = parseRequest(NameParams, request.params, 'path');
    const { force } = parseRequest(ForceQuery, request.query, 'query');
    return credentials.delete(name, principalOf(request), { force: force === 'true' });
  });
}
