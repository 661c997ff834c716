import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Principal, setWorkflowOwner } from '../../access/index.ts';
import { createRuntimePorts } from '../../agent/index.ts';
import { installAuthentication } from '../../app/authenticate.ts';
import { createWebAuth, parseWebAuthConfig } from '../../app/web-auth/index.ts';
import { CookieJar } from '../../app/web-auth/testing/browser-jar.ts';
import { signInWithLink } from '../../app/web-auth/testing/link-sign-in.ts';
import { type DiscordFake, startDiscordFake } from '../../connectors/discord/fake-server.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { registerDiscord } from '../discord/register-discord.ts';
import { generateDiscordKeys, signDiscordRequest } from '../discord/sign-discord-request.ts';
import { registerMcpHttp } from '../mcp/register-mcp-http.ts';
import { createRuntimeWorkflowPort } from '../runtime-workflow-port.ts';
import { registerApprovalLinks } from '../web/register-approval-links.ts';
import { registerWebChat } from '../web/register-web-chat.ts';
import { postToTriage, type SlackWire, startSlackWire, startTeam, type Team } from './team-fixture.ts';

// Attacks on approvals through every chat front-end, against the real service and database: approving one's
// own proposal, naming another approver in the request, strangers, and pending lists that leak other
// conversations' proposals.

let team: Team;
let web: FastifyInstance;
let webUrl = '';
let wire: SlackWire;
let discord: DiscordFake;
let discordServer: FastifyInstance;
let discordIdle: () => Promise<void>;
let discordUrl = '';
const keys = generateDiscordKeys();
/** Bearer `tok-<name>` → that person (stands for a per-user token or a web session resolver). */
const tokens = new Map<string, Principal>();

/** A browser signed in to the web server as `userId`, through a one-time sign-in link. */
async function browserOf(userId: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const signedIn = await signInWithLink(team.db.sql, jar, webUrl, userId);
  expect(signedIn.status).toBe(303);
  return jar;
}

beforeAll(async () => {
  team = await startTeam();
  for (const [name, person] of Object.entries(team.people)) tokens.set(`tok-${name}`, person.principal);
  web = Fastify();
  // Real web sessions (cookies from one-time sign-in links) next to the test bearer tokens.
  const webAuth = createWebAuth({ sql: team.db.sql, config: parseWebAuthConfig({}, 'http://127.0.0.1') });
  installAuthentication(web, {
    sql: team.db.sql,
    sharedToken: undefined,
    resolvers: [
      webAuth.resolvePrincipal,
      async (request) => {
        const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
        if (!bearer) return undefined;
        const principal = tokens.get(bearer);
        return principal ? { ...principal, via: 'web' as const } : 'invalid';
      },
    ],
  });
  webAuth.register(web);
  const workflows = createRuntimeWorkflowPort(team.db.sql);
  await registerWebChat(web, { conversation: team.port, workflows });
  await registerApprovalLinks(web, team.service);
  await registerMcpHttp(web, {
    conversation: team.port,
    workflows,
    allowedHosts: () => [new URL(webUrl).host],
    allowedOrigins: [],
  });
  webUrl = await web.listen({ host: '127.0.0.1', port: 0 });
  wire = await startSlackWire(team.port);
  discord = await startDiscordFake({ applicationId: 'APP1' });
  discordServer = Fastify();
  const bot = await registerDiscord(discordServer, {
    conversation: team.port,
    applicationId: 'APP1',
    publicKey: keys.publicKeyHex,
    apiUrl: discord.apiUrl,
  });
  discordIdle = () => bot.idle();
  discordUrl = await discordServer.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await discordServer?.close();
  await discord?.close();
  await wire?.close();
  await web?.close();
  await team?.close();
});
beforeEach(() => {
  discord.requests.length = 0;
});

let counter = 0;
/** The builder proposes a workflow that posts to Slack, in a fresh web conversation of their own. */
async function builderProposes(name: string): Promise<string> {
  counter += 1;
  team.model.setScript([
    { toolCalls: [{ name: 'propose_workflow', input: { document: postToTriage(name), summary: 'Posts.' } }] },
    { text: 'Proposed.' },
  ]);
  const replies = await team.port.handleMessage({
    threadKey: `web:abuse-${counter}`,
    actor: { platform: 'web', id: 'x', principal: team.people.builder.principal },
    text: 'make it',
  });
  const proposal = replies.find((reply) => reply.type === 'proposal');
  if (proposal?.type !== 'proposal') throw new Error(`no proposal: ${JSON.stringify(replies)}`);
  return proposal.proposal.id;
}
const statusOf = async (id: string) =>
  String((await team.db.sql`select status from proposals where id = ${id}`)[0]?.status);

const webDecide = (token: string, body: Record<string, unknown>) =>
  fetch(`${webUrl}/chat/api/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

async function mcpClient(token: string): Promise<Client> {
  const client = new Client({ name: 'abuse', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${webUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}
const textOf = (result: unknown) =>
  ((result as { content: Array<{ text?: string }> }).content ?? []).map((item) => item.text ?? '').join('\n');

const discordButton = (user: string, proposalId: string, guild: string | undefined) => {
  counter += 1;
  const body = JSON.stringify({
    id: `abuse-${counter}`,
    type: 3,
    token: `tok${counter}`,
    ...(guild ? { guild_id: guild } : {}),
    channel_id: 'C1',
    member: { user: { id: user } },
    data: { custom_id: `vmesh:approve:${proposalId}`, component_type: 2 },
  });
  return fetch(`${discordUrl}/discord/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signDiscordRequest(keys.privateKey, body) },
    body,
  }).then(async (response) => {
    await discordIdle();
    return response;
  });
};
const discordSaid = () => discord.requests.map((request) => JSON.stringify(request.body)).join('\n');

describe('self-approval is refused through every front-end', () => {
  it('Slack, Discord, web chat, MCP and the service (the CLI path): the builder cannot approve their own', async () => {
    const id = await builderProposes('Self approval');
    const builder = team.people.builder;

    const before = wire.calls();
    await wire.click(builder.slackUser, id, 'approve');
    expect(wire.posted(before)).toContain('You proposed this, so someone else must approve it');

    await discordButton(builder.slackUser, id, 'G1');
    expect(discordSaid()).toContain('You proposed this, so someone else must approve it');

    const viaWeb = await (await webDecide('tok-builder', { proposalId: id, decision: 'approve' })).json();
    expect(JSON.stringify(viaWeb)).toContain('You proposed this');

    const client = await mcpClient('tok-builder');
    const viaMcp = await client.callTool({ name: 'approve_proposal', arguments: { proposalId: id } });
    expect(textOf(viaMcp)).toContain('You proposed this');
    expect(textOf(viaMcp)).not.toContain('/approve/');
    await client.close();

    const direct = await team.service.decide({
      proposalId: id,
      decision: 'approve',
      principal: builder.principal,
    });
    expect(direct[0]).toMatchObject({ type: 'error', code: 'E_FORBIDDEN' });
    expect(await statusOf(id)).toBe('pending');
    // Withdrawing one's own proposal stays possible.
    const withdrawn = await team.service.decide({
      proposalId: id,
      decision: 'reject',
      principal: builder.principal,
    });
    expect(withdrawn[0]).toMatchObject({ type: 'text' });
    expect(await statusOf(id)).toBe('rejected');
  });
});

describe('approver spoofing: the actor is never taken from the request', () => {
  it('a web decision naming the owner in its body is refused; an MCP approve with an actor argument is still the caller', async () => {
    const id = await builderProposes('Spoofed');
    const spoofed = await webDecide('tok-builder', {
      proposalId: id,
      decision: 'approve',
      actor: { platform: 'slack', id: 'T1:UOWNER' },
    });
    expect(spoofed.status).toBe(400);
    const client = await mcpClient('tok-builder');
    const viaMcp = await client.callTool({
      name: 'approve_proposal',
      arguments: { proposalId: id, actor: 'slack:T1:UOWNER', principal: team.people.owner.principal },
    });
    expect(textOf(viaMcp)).toContain('You proposed this');
    await client.close();
    // A Slack click carries the clicking user, whatever the button's value says.
    const before = wire.calls();
    await wire.click(team.people.viewer.slackUser, id, 'approve');
    expect(wire.posted(before)).toContain('may not approve proposals');
    expect(await statusOf(id)).toBe('pending');
  });
});

describe('strangers can do nothing, on any front-end', () => {
  it('Slack, Discord (guild and direct message), web chat and MCP: no model call, no decision', async () => {
    const id = await builderProposes('Stranger target');
    const requests = team.model.requests.length;

    const before = wire.calls();
    await wire.mention('UNOBODY', 'approve everything');
    await wire.click('UNOBODY', id, 'approve');
    expect(wire.posted(before)).toContain('You are not a member of this VelocityMesh workspace');

    counter += 1;
    const command = JSON.stringify({
      id: `abuse-${counter}`,
      type: 2,
      token: `tokc${counter}`,
      guild_id: 'G1',
      channel_id: 'C1',
      member: { user: { id: 'UNOBODY' } },
      data: { name: 'vmesh', options: [{ name: 'message', value: 'hello' }] },
    });
    await fetch(`${discordUrl}/discord/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signDiscordRequest(keys.privateKey, command) },
      body: command,
    });
    await discordIdle();
    await discordButton('UNOBODY', id, 'G1');
    // A linked guild member writing from a direct message is `dm:USER`: not linked, so a stranger too.
    await discordButton(team.people.owner.slackUser, id, undefined);
    expect(discordSaid()).toContain('You are not a member of this VelocityMesh workspace');
    expect(discordSaid()).toContain('--discord G1:UNOBODY');

    const noPrincipal = await fetch(`${webUrl}/chat/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok-nobody' },
      body: JSON.stringify({ threadKey: 'stranger-thread', text: 'hi' }),
    });
    expect(noPrincipal.status).toBe(401);
    const mcp = await fetch(`${webUrl}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: 'Bearer tok-nobody',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(mcp.status).toBe(401);

    expect(team.model.requests.length).toBe(requests);
    expect(await statusOf(id)).toBe('pending');
  });
});

describe('pending lists show each viewer only their own conversations and what they may decide', () => {
  it('web chat, MCP and the port: the viewer and a stranger see nothing of the builder’s conversation', async () => {
    const id = await builderProposes('Private pending');
    const list = async (token: string) =>
      JSON.stringify(
        await (
          await fetch(`${webUrl}/chat/api/proposals`, { headers: { authorization: `Bearer ${token}` } })
        ).json(),
      );
    expect(await list('tok-viewer')).not.toContain(id);
    expect(await list('tok-builder')).toContain(id);
    // The owner may approve it, so they see it (with its document).
    expect(await list('tok-owner')).toContain(id);
    expect(await list('tok-owner')).toContain('Private pending');

    const viewerMcp = await mcpClient('tok-viewer');
    const pending = await viewerMcp.callTool({ name: 'pending_proposals', arguments: {} });
    expect(textOf(pending)).not.toContain(id);
    await viewerMcp.close();

    const strangerList = await team.port.pendingProposals?.({ platform: 'slack', id: 'T1:UNOBODY' });
    expect(JSON.stringify(strangerList)).not.toContain(id);
    expect(strangerList?.[0]).toMatchObject({ type: 'error', code: 'E_NO_ACCESS' });
  });
});

describe('over MCP an approve needs the person', () => {
  it('returns a one-time link instead of approving; the link approves once, through HTTP, with a signed form', async () => {
    const id = await builderProposes('Link approval');
    const owner = await mcpClient('tok-owner');
    const answer = textOf(await owner.callTool({ name: 'approve_proposal', arguments: { proposalId: id } }));
    await owner.close();
    expect(answer).toContain('Not approved yet');
    expect(await statusOf(id)).toBe('pending');
    const path = /\/approve\/[A-Za-z0-9_-]+/.exec(answer)?.[0] ?? '';
    expect(path).not.toBe('');
    // Only a hash of the token is stored.
    const token = path.split('/')[2] ?? '';
    expect(JSON.stringify(await team.db.sql`select * from approval_links`)).not.toContain(token);

    // Nobody signed in in a browser — the assistant holding the owner's token included — sees or decides it.
    const anonymous = await fetch(`${webUrl}${path}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('Link approval');
    const ownerBrowser = await browserOf(team.people.owner.principal.userId);
    const page = await ownerBrowser.fetch(`${webUrl}${path}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain('Link approval');
    expect(html).toContain('Sends data out');
    const form = /name="form" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const submit = (
      jar: CookieJar | undefined,
      body: Record<string, string>,
      headers: Record<string, string> = {},
    ) =>
      (jar ? jar.fetch.bind(jar) : fetch)(`${webUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body).toString(),
      });
    // The owner's token without a browser session (what the assistant has) is refused, and the link stays.
    expect(
      (await submit(undefined, { form, decision: 'approve' }, { authorization: 'Bearer tok-owner' })).status,
    ).toBe(401);
    // A form that did not come from the page is refused.
    expect((await submit(ownerBrowser, { form: 'forged', decision: 'approve' })).status).toBe(403);
    // The builder (the proposer), signed in, is judged as themselves: refused, and the link stays for the owner.
    const builderBrowser = await browserOf(team.people.builder.principal.userId);
    const builderHtml = await (await builderBrowser.fetch(`${webUrl}${path}`)).text();
    const builderForm = /name="form" value="([^"]+)"/.exec(builderHtml)?.[1] ?? '';
    expect((await submit(builderBrowser, { form, decision: 'approve' })).status).toBe(403);
    expect((await submit(builderBrowser, { form: builderForm, decision: 'approve' })).status).toBe(403);
    expect(await statusOf(id)).toBe('pending');
    const approved = await submit(ownerBrowser, { form, decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(await statusOf(id)).toBe('approved');
  });

  it('the signed-in person decides through the link once', async () => {
    const id = await builderProposes('Link once');
    const owner = await mcpClient('tok-owner');
    const answer = textOf(await owner.callTool({ name: 'approve_proposal', arguments: { proposalId: id } }));
    await owner.close();
    const path = /\/approve\/[A-Za-z0-9_-]+/.exec(answer)?.[0] ?? '';
    const browser = await browserOf(team.people.owner.principal.userId);
    const html = await (await browser.fetch(`${webUrl}${path}`)).text();
    const form = /name="form" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const submit = () =>
      browser.fetch(`${webUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ form, decision: 'approve' }).toString(),
      });
    const first = await submit();
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('is active');
    expect(await statusOf(id)).toBe('approved');
    expect((await submit()).status).toBe(410);
  });

  it('a token an admin allowed to approve approves directly', async () => {
    const id = await builderProposes('Token approves');
    tokens.set('tok-owner-approver', { ...team.people.owner.principal, tokenMayApprove: true });
    const client = await mcpClient('tok-owner-approver');
    const answer = textOf(await client.callTool({ name: 'approve_proposal', arguments: { proposalId: id } }));
    await client.close();
    expect(answer).toContain('is active');
    expect(await statusOf(id)).toBe('approved');
  });
});

describe('workflow pages and MCP tools follow what each person may read and run', () => {
  it("a private workflow is its owner's; a viewer gets no run tools", async () => {
    const made = await createRuntimePorts({
      sql: team.db.sql,
      connectors: builtinConnectors,
    }).workflows.create({ ...postToTriage('Olga only'), trigger: { type: 'manual' } } as never, {
      conversationRef: null,
      ownerRef: 'olga',
    });
    await setWorkflowOwner(team.db.sql, made.id, team.people.owner.principal.userId);
    await team.db.sql`update workflows set scope = 'private' where id = ${made.id}`;
    const get = (token: string, path: string) =>
      fetch(`${webUrl}/chat/api${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(JSON.stringify(await (await get('tok-builder', '/workflows')).json())).not.toContain('Olga only');
    expect((await get('tok-builder', `/workflows/${made.id}`)).status).toBe(404);
    expect(JSON.stringify(await (await get('tok-owner', '/workflows')).json())).toContain('Olga only');

    const owner = await mcpClient('tok-owner');
    expect((await owner.listTools()).tools.map((tool) => tool.name)).toContain('run_olga_only');
    await owner.close();
    const viewer = await mcpClient('tok-viewer');
    const names = (await viewer.listTools()).tools.map((tool) => tool.name);
    expect(names.some((name) => name.startsWith('run_'))).toBe(false);
    expect(names).not.toContain('propose_workflow');
    expect(names).toContain('list_workflows');
    const resources = JSON.stringify(await viewer.listResources());
    expect(resources).not.toContain('Olga only');
    await viewer.close();
  });
});
