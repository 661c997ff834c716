import { subworkflowNodes, type WorkflowDocument } from '../runtime/index.ts';
import { allNodes } from './credential-needs.ts';
import type { CatalogPort, WorkflowsPort } from './tool-context.ts';

export type WriteStep = { id: string; uses: string; target: string | null; credential: string | null };

export type ProposalEffects = {
  /** Every step that writes to the outside world, with where it writes. */
  writeSteps: WriteStep[];
  /** Write steps (or destinations) that the current version does not have: a person must look at these. */
  newWriteSteps: WriteStep[];
  /** Credentials the proposal uses that the current version does not. */
  newCredentials: string[];
  /** Every core.subworkflow step and the stored workflow it will run (see describeSubworkflowSteps). */
  subworkflowSteps?: SubworkflowStep[];
};

/**
 * A core.subworkflow step and the workflow approval will store as its target (by id: a workflow that takes the
 * name later is never run). `target` null: approval will be refused, `problem` says why.
 */
export type SubworkflowStep = {
  id: string;
  /** As written in the document: an id or a name. */
  workflow: string;
  target: { id: string; name: string; active: boolean } | null;
  problem: 'missing' | 'ambiguous' | 'forbidden' | null;
};

const TARGET_KEYS = [
  'url',
  'channel',
  'channelId',
  'to',
  'repo',
  'owner',
  'webhookUrl',
  'host',
  'path',
  'email',
];

function targetOf(withValue: Record<string, unknown>): string | null {
  const parts: string[] = [];
  for (const key of TARGET_KEYS) {
    const value = withValue[key];
    if (typeof value === 'string' || typeof value === 'number')
      parts.push(`${key}=${String(value).slice(0, 200)}`);
  }
  const server = serverTarget(withValue.server);
  if (server) parts.push(server);
  return parts.length ? parts.join(', ') : null;
}

/** An MCP `server`: a stdio one is a program on the worker host, and the card says so. */
function serverTarget(server: unknown): string | null {
  if (!server || typeof server !== 'object') return null;
  const { transport, name, url } = server as Record<string, unknown>;
  if (transport === 'stdio') return `server=stdio program "${String(name).slice(0, 64)}" on the worker host`;
  if (typeof url === 'string') return `server=${url.slice(0, 200)}`;
  return null;
}

function writeSteps(document: WorkflowDocument | null | undefined, catalog: CatalogPort): WriteStep[] {
  if (!document) return [];
  return allNodes(document.nodes)
    .filter((node) => {
      const entry = catalog.lookupAction(node.uses);
      // Unknown actions count as writes: a person must look at them.
      return !entry || entry.effect === 'write';
    })
    .map((node) => ({
      id: node.id,
      uses: node.uses,
      target: targetOf(node.with ?? {}),
      credential: node.credential ?? null,
    }));
}

/** What a proposal would do to the outside world, and what is new compared to the current version. */
export function describeEffects(
  proposed: WorkflowDocument | null,
  current: WorkflowDocument | null,
  catalog: CatalogPort,
): ProposalEffects {
  const next = writeSteps(proposed, catalog);
  const before = writeSteps(current, catalog);
  const key = (step: WriteStep) => `${step.uses}|${step.target ?? ''}|${step.credential ?? ''}`;
  const known = new Set(before.map(key));
  const credentialsBefore = new Set(
    current ? allNodes(current.nodes).flatMap((node) => (node.credential ? [node.credential] : [])) : [],
  );
  const credentialsAfter = proposed
    ? [...new Set(allNodes(proposed.nodes).flatMap((node) => (node.credential ? [node.credential] : [])))]
    : [];
  return {
    writeSteps: next,
    newWriteSteps: current ? next.filter((step) => !known.has(key(step))) : next,
    newCredentials: current
      ? credentialsAfter.filter((name) => !credentialsBefore.has(name))
      : credentialsAfter,
  };
}

/**
 * The workflow each core.subworkflow step of `document` will run, resolved as approval will store it: for a new
 * workflow owned by `owner.ownerRef` (the person approving), or a new version of `owner.workflowId`.
 */
export async function describeSubworkflowSteps(
  document: WorkflowDocument | null,
  workflows: WorkflowsPort,
  owner: { ownerRef: string } | { workflowId: string },
): Promise<SubworkflowStep[]> {
  if (!document) return [];
  const steps: SubworkflowStep[] = [];
  for (const node of subworkflowNodes(document)) {
    const workflow = typeof node.with.workflow === 'string' ? node.with.workflow : '';
    const found = await workflows.subworkflowTarget(workflow, owner);
    steps.push(
      found.found
        ? {
            id: node.id,
            workflow,
            target: { id: found.id, name: found.name, active: found.active },
            problem: null,
          }
        : { id: node.id, workflow, target: null, problem: found.problem },
    );
  }
  return steps;
}
