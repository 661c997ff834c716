import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { allows } from '../../access/index.ts';
import type { McpToolEntry, Reply } from '../../agent/index.ts';
import { describeError, VERSION } from '../../lib/index.ts';
import type { BotActor, ConversationPort } from '../conversation-port.ts';
import { isPreviewableProposal, proposalKind, retryProposalText } from '../proposal-view.ts';
import type { WorkflowPort, WorkflowSummary } from '../workflow-port.ts';

export type VmeshMcpDeps = {
  conversation: ConversationPort;
  workflows?: WorkflowPort | undefined;
  agentTools?: readonly McpToolEntry[] | undefined;
  /** Who the MCP client acts as (approvals are recorded under this actor). */
  actor: BotActor;
  /** The default conversation thread when `chat` gets none (one per MCP session). */
  defaultThread: string;
};

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

/** Replies as text an assistant can read and act on (proposal ids and documents included). */
export function repliesToText(replies: Reply[]): string {
  return replies
    .map((reply) => {
      switch (reply.type) {
        case 'text':
          return reply.text;
        case 'error':
          return `Error: ${reply.message}${reply.hint ? `\nHint: ${reply.hint}` : ''}`;
        case 'proposal':
        case 'fix_proposal':
          if (!isPreviewableProposal(reply)) return retryProposalText(reply);
          return [
            `Proposal ${reply.proposal.id} (${proposalKind(reply)}): ${reply.title}`,
            reply.summary,
            'Approve with approve_proposal after the person has agreed. Document:',
            JSON.stringify(reply.proposal.document, null, 2),
          ].join('\n');
        case 'run_update':
          return `Run ${reply.runId}: ${reply.status}${reply.message ? ` — ${reply.message}` : ''}`;
        case 'connect_link':
          // This client is the person's own: the link is theirs. Hand it to them as it is; never fetch it.
          return `${reply.text}${reply.url ? `\nGive the person this link to open in their browser: ${reply.url}` : ''}`;
        default:
          return JSON.stringify(reply);
      }
    })
    .join('\n\n');
}

/** `Post bugs to Slack` → `run_post_bugs_to_slack` (legal tool name, ≤ 64 characters, unique per server). */
export function workflowToolName(workflow: WorkflowSummary, taken: Set<string>): string {
  const base =
    `run_${workflow.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')}`.slice(0, 56) || 'run_workflow';
  let name = base;
  for (let n = 2; taken.has(name); n += 1) name = `${base}_${n}`;
  taken.add(name);
  return name;
}

const WorkflowToolInput = z.object({
  input: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Trigger data for the run (available as `trigger` in the workflow’s expressions).'),
});

/**
 * One MCP server per session: the agent's tools, `chat`, `approve_proposal`, one tool per active workflow
 * (calling it runs the workflow and returns its output), and workflow documents and run logs as resources.
 */
export async function createVmeshMcpServer(deps: VmeshMcpDeps): Promise<McpServer> {
  const server = new McpServer({ name: 'velocitymesh', version: VERSION });

  server.registerTool(
    'chat',
    {
      description:
        'Talk to the VelocityMesh agent: describe an automation, ask about workflows and runs. Returns its replies; workflow proposals include an id to approve with approve_proposal once the person agrees.',
      inputSchema: {
        message: z.string().min(1).max(20_000).describe('What to say to the agent.'),
        thread: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .optional()
          .describe('Conversation to continue (default: this session’s).'),
      },
    },
    async ({ message, thread }) => {
      try {
        const replies = await deps.conversation.handleMessage({
          threadKey: `mcp:${thread ?? deps.defaultThread}`,
          actor: deps.actor,
          text: message,
        });
        return { ...text(repliesToText(replies)), isError: replies.some((reply) => reply.type === 'error') };
      } catch (error) {
        return { ...text(`The agent could not answer: ${describeError(error)}`), isError: true };
      }
    },
  );

  server.registerTool(
    'approve_proposal',
    {
      description:
        'Ask to approve (or reject) a proposal the agent made. Approving returns a one-time link for the person to open in a browser and confirm (unless an admin allowed this token to approve); give it to them.',
      inputSchema: {
        proposalId: z.string().min(1).max(200).describe('The id from the proposal.'),
        decision: z.enum(['approve', 'reject']).default('approve'),
      },
      annotations: { destructiveHint: false, idempotentHint: true },
    },
    async ({ proposalId, decision }) => {
      const replies = await deps.conversation.decide({ proposalId, decision, actor: deps.actor });
      return { ...text(repliesToText(replies)), isError: replies.some((reply) => reply.type === 'error') };
    },
  );

  server.registerTool(
    'pending_proposals',
    {
      description:
        'List the proposals waiting for a decision that this person may see (their conversations, or ones they may approve).',
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    async () => {
      const replies = (await deps.conversation.pendingProposals?.(deps.actor)) ?? [];
      return text(replies.length ? repliesToText(replies) : 'No pending proposals for you.');
    },
  );

  const agentTools =
    deps.agentTools ??
    deps.conversation.agentTools?.({ threadKey: `mcp:${deps.defaultThread}`, actor: deps.actor }) ??
    [];
  for (const tool of agentTools) {
    server.registerTool(
      tool.name,
      { description: tool.description, inputSchema: tool.inputSchema, annotations: tool.annotations },
      async (args: unknown) => tool.handler(args),
    );
  }

  // The port is already the session's person's view (register-mcp-http: forViewer): workflows they may read, run
  // tools only with run.start.
  const workflows = deps.workflows;
  if (workflows) {
    const taken = new Set<string>([
      'chat',
      'approve_proposal',
      'pending_proposals',
      ...agentTools.map((tool) => tool.name),
    ]);
    const mayRun = deps.actor.principal ? allows(deps.actor.principal, 'run.start') : true;
    for (const workflow of mayRun ? await workflows.listWorkflows() : []) {
      if (workflow.status !== 'active') continue;
      server.registerTool(
        workflowToolName(workflow, taken),
        {
          description: `Run the workflow “${workflow.name}” (trigger: ${workflow.triggerType}) and return its output.${workflow.description ? ` ${workflow.description}` : ''}`,
          inputSchema: WorkflowToolInput,
          annotations: {
            readOnlyHint: false,
            destructiveHint: true,
            idempotentHint: false,
            openWorldHint: true,
          },
        },
        async ({ input }, extra) => {
          const { runId } = await workflows.startRun(workflow.id, input ?? {}, {
            actor: `${deps.actor.platform}:${deps.actor.id}`,
            via: deps.actor.platform,
          });
          const run = await workflows.waitForRun(runId, extra.signal);
          const body = {
            runId,
            status: run.status,
            output: run.output,
            ...(run.error ? { error: run.error } : {}),
          };
          return { ...text(JSON.stringify(body, null, 2)), isError: run.status !== 'succeeded' };
        },
      );
    }

    server.registerResource(
      'workflow',
      new ResourceTemplate('vmesh://workflows/{id}', {
        list: async () => ({
          resources: (await workflows.listWorkflows()).map((workflow) => ({
            uri: `vmesh://workflows/${encodeURIComponent(workflow.id)}`,
            name: workflow.name,
            mimeType: 'application/json',
          })),
        }),
      }),
      { description: 'A workflow document (JSON).', mimeType: 'application/json' },
      async (uri, { id }) => {
        const workflow = await workflows.getWorkflow(decodeURIComponent(String(id)));
        if (!workflow) throw new Error(`No workflow ${String(id)}: list resources to see the ids.`);
        return {
          contents: [
            { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(workflow.document, null, 2) },
          ],
        };
      },
    );

    server.registerResource(
      'run',
      new ResourceTemplate('vmesh://runs/{id}', { list: undefined }),
      {
        description: 'A run log: status, each step with its status and error, and the output (JSON).',
        mimeType: 'application/json',
      },
      async (uri, { id }) => {
        const run = await workflows.getRun(decodeURIComponent(String(id)));
        if (!run) throw new Error(`No run ${String(id)}.`);
        return {
          contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(run, null, 2) }],
        };
      },
    );
  }
  return server;
}
