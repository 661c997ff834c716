import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  addUser,
  allows,
  createToken,
  describeUsers,
  IdentityProvider,
  IdentitySubject,
  linkUserIdentity,
  listTokens,
  listUsers,
  needs,
  type Principal,
  principalOf,
  Role,
  requireUser,
  revokeToken,
  TokenName,
  tokenView,
  UserName,
  unlinkUserIdentity,
  updateUser,
  userView,
} from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { ForbiddenError } from '../../lib/index.ts';
import { parseRequest } from './http-errors.ts';
import type { RouteDoc } from './openapi.ts';

const IdParams = z.object({ id: z.string().min(1).max(200) });
const Identity = z.strictObject({ provider: IdentityProvider, subject: IdentitySubject });
export const CreateUserBody = z.strictObject({
  name: UserName,
  role: Role,
  email: z.email().max(320).optional(),
  identities: z.array(Identity).max(20).optional(),
});
export const UpdateUserBody = z
  .strictObject({ role: Role.optional(), disabled: z.boolean().optional() })
  .refine((body) => body.role !== undefined || body.disabled !== undefined, 'give role and/or disabled');
export const CreateTokenBody = z.strictObject({
  name: TokenName,
  /** Whose token (id or name); yourself when omitted. Others' need `token.manage_all`. */
  user: z.string().min(1).max(200).optional(),
  /** Permissions the token is limited to; everything the user's role allows when omitted. */
  scopes: z.array(z.string().min(1).max(64)).max(64).optional(),
  expiresInSeconds: z
    .number()
    .int()
    .min(60)
    .max(10 * 366 * 86_400)
    .optional(),
  mayApprove: z.boolean().optional(),
});
const TokensQuery = z.object({ user: z.string().min(1).max(200).optional() });

export const ACCESS_ROUTE_DOCS: RouteDoc[] = [
  { method: 'get', path: '/api/users', summary: 'List users with their linked identities (user.manage)' },
  {
    method: 'post',
    path: '/api/users',
    summary:
      'Add a user { name, role, email?, identities? } → 201 (user.manage; an owner needs owner.manage)',
    body: CreateUserBody,
  },
  {
    method: 'patch',
    path: '/api/users/{id}',
    summary:
      'Change a role or disable/enable: { role?, disabled? } (user.manage; owners only by owners; 409 E_LAST_OWNER for the last owner)',
    body: UpdateUserBody,
  },
  {
    method: 'post',
    path: '/api/users/{id}/identities',
    summary:
      'Link a front-end identity { provider, subject } (slack TEAM:USER, discord GUILD:USER, oidc ISSUER|SUB)',
    body: Identity,
  },
  {
    method: 'delete',
    path: '/api/users/{id}/identities',
    summary: 'Unlink an identity of this user { provider, subject }',
    body: Identity,
  },
  {
    method: 'get',
    path: '/api/tokens',
    summary: 'List API tokens (never their secrets): your own, or ?user=ID|NAME with token.manage_all',
  },
  {
    method: 'post',
    path: '/api/tokens',
    summary:
      'Mint an API token { name, user?, scopes?, expiresInSeconds?, mayApprove? } → 201 { token, ... } (shown once; never more than the role, nor than the caller holds; not with an API token)',
    body: CreateTokenBody,
  },
  {
    method: 'delete',
    path: '/api/tokens/{id}',
    summary: 'Revoke a token (your own, or any with token.manage_all)',
  },
];

/** A request signed with a per-user API token may not mint tokens: a stolen token must not outlive its revocation. */
function assertNotPerUserToken(principal: Principal): void {
  if (!principal.identity.startsWith('token:tok_')) return;
  throw new ForbiddenError({
    code: 'E_FORBIDDEN',
    message: 'An API token cannot mint API tokens.',
    hint: 'Mint tokens with `vmesh tokens create`, the web page, or the shared VMESH_API_TOKEN.',
  });
}

/** People (/api/users) and API tokens (/api/tokens). */
export function registerAccessRoutes(app: FastifyInstance, options: { sql: Sql }): void {
  const { sql } = options;

  app.get('/api/users', needs('user.manage'), async () => ({
    users: (await describeUsers(sql, await listUsers(sql))).map(userView),
  }));
  app.post('/api/users', needs('user.manage'), async (request, reply) => {
    const body = parseRequest(CreateUserBody, request.body, 'body');
    const user = await addUser(sql, principalOf(request), body);
    return reply.code(201).send(userView((await describeUsers(sql, [user]))[0]!));
  });
  app.patch('/api/users/:id', needs('user.manage'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const body = parseRequest(UpdateUserBody, request.body, 'body');
    return userView(await updateUser(sql, principalOf(request), id, body));
  });
  app.post('/api/users/:id/identities', needs('user.manage'), async (request, reply) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const body = parseRequest(Identity, request.body, 'body');
    const user = await linkUserIdentity(sql, principalOf(request), id, body.provider, body.subject);
    return reply.code(201).send(userView((await describeUsers(sql, [user]))[0]!));
  });
  app.delete('/api/users/:id/identities', needs('user.manage'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    const body = parseRequest(Identity, request.body, 'body');
    await unlinkUserIdentity(sql, principalOf(request), body.provider, body.subject, id);
    return { unlinked: true, ...body };
  });

  app.get('/api/tokens', needs('signed-in'), async (request) => {
    const principal = principalOf(request);
    const query = parseRequest(TokensQuery, request.query, 'query');
    const user = query.user === undefined ? undefined : await requireUser(sql, query.user);
    if (user && user.id !== principal.userId && !allows(principal, 'token.manage_all')) {
      throw new ForbiddenError({
        code: 'E_FORBIDDEN',
        message: "Only admins see other people's tokens.",
        hint: 'Leave out ?user to list your own.',
        details: { permission: 'token.manage_all' },
      });
    }
    return { tokens: (await listTokens(sql, { userId: user?.id ?? principal.userId })).map(tokenView) };
  });
  app.post('/api/tokens', needs('signed-in'), async (request, reply) => {
    const principal = principalOf(request);
    assertNotPerUserToken(principal);
    const body = parseRequest(CreateTokenBody, request.body, 'body');
    const user = body.user === undefined ? undefined : await requireUser(sql, body.user);
    const { token, info } = await createToken(sql, principal, {
      userId: user?.id ?? principal.userId,
      name: body.name,
      scopes: body.scopes,
      expiresAt:
        body.expiresInSeconds === undefined ? undefined : new Date(Date.now() + body.expiresInSeconds * 1000),
      mayApprove: body.mayApprove,
    });
    return reply.code(201).send({ token, ...tokenView(info) });
  });
  app.delete('/api/tokens/:id', needs('signed-in'), async (request) => {
    const { id } = parseRequest(IdParams, request.params, 'path');
    return tokenView(await revokeToken(sql, principalOf(request), id));
  });
}
