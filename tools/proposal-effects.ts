import { subworkflowNodes, type WorkflowDocument } from '../runtime/index.ts';
import { allNodes } from './credential-needs.ts';
import type { CatalogPort, WorkflowsPort } from './tool-context.ts';

export type WriteStep = {
  id: string;
  uses: string;
  target: string | null;
  /** The action's own words for where it writes ("the Google Sheet 'Leads'"), null when it has none. */
  writesTo: string | null;
  credential: string | null;
};

/**
 * A step that can send data out of VelocityMesh, whatever effect it declares: a `read` step (an HTTP GET, an
 * LLM or MCP call) carries its input to the outside too.
 */
export type Destination = {
  id: string;
  uses: string;
  effect: 'read' | 'write' | 'unknown';
  /** The fixed part of where it goes (`url=https://…, channel=#x`), null when nothing is fixed. */
  target: string | null;
  /** Where-fields computed at run time: the field and its expression (attacker-influenced data may steer them). */
  computed: { field: string; expression: string }[];
  credential: string | null;
};

export type ProposalEffects = {
  /** Every step that writes to the outside world, with where it writes. */
  writeSteps: WriteStep[];
  /** Write steps (or destinations) that the current version does not have: a person must look at these. */
  newWriteSteps: WriteStep[];
  /** Credentials the proposal uses that the current version does not. */
  newCredentials: string[];
  /** Every core.subworkflow step and the stored workflow it will run (see describeSubworkflowSteps). */
  subworkflowSteps?: SubworkflowStep[];
  /** Every step that can send data out (reads included), with where it goes. */
  destinations: Destination[];
  /** Destinations the current version does not have (all of them for a new workflow). */
  newDestinations: Destination[];
  /** Every credential the proposal uses. */
  credentials: string[];
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
      writesTo: writesToOf(catalog.lookupAction(node.uses)?.describeTarget, node.with ?? {}),
      credential: node.credential ?? null,
    }));
}

/** The action's target description; a description that throws on odd input is treated as absent. */
function writesToOf(
  describe: ((withValue: Record<string, unknown>) => string | null) | undefined,
  withValue: Record<string, unknown>,
): string | null {
  if (!describe) return null;
  try {
    const text = describe(withValue);
    return text ? text.slice(0, 300) : null;
  } catch {
    return null;
  }
}

const isExpression = (value: string) => value.includes('{{');

/** Where a step's data can go: the write-step target fields, recipients, base URLs and an MCP server's address. */
const DESTINATION_KEYS = [...TARGET_KEYS, 'cc', 'bcc', 'recipients', 'baseUrl', 'endpoint'];

/** An MCP `server` ({ transport, url } or { transport, command, args }) as the field values it goes to. */
function serverFields(value: unknown): [string, unknown][] {
  if (!value || typeof value !== 'object') return typeof value === 'string' ? [['server', value]] : [];
  const server = value as Record<string, unknown>;
  const args = Array.isArray(server.args) ? server.args.filter((arg) => typeof arg === 'string') : [];
  return [
    ['server.url', server.url],
    ['server.command', typeof server.command === 'string' ? [server.command, ...args].join(' ') : undefined],
  ];
}

function destinationsOf(document: WorkflowDocument | null | undefined, catalog: CatalogPort): Destination[] {
  if (!document) return [];
  const found: Destination[] = [];
  for (const node of allNodes(document.nodes)) {
    if (node.uses.startsWith('core.')) continue;
    const entry = catalog.lookupAction(node.uses);
    if (entry?.effect === 'pure') continue;
    const withValue = (node.with ?? {}) as Record<string, unknown>;
    const fixed: string[] = [];
    const computed: Destination['computed'] = [];
    const fields: [string, unknown][] = [
      ...DESTINATION_KEYS.map((key): [string, unknown] => [key, withValue[key]]),
      ...serverFields(withValue.server),
    ];
    for (const [key, value] of fields) {
      if (typeof value === 'string' && isExpression(value))
        computed.push({ field: key, expression: value.slice(0, 300) });
      else if (typeof value === 'string' || typeof value === 'number')
        fixed.push(`${key}=${String(value).slice(0, 200)}`);
    }
    found.push({
      id: node.id,
      uses: node.uses,
      effect: entry ? (entry.effect === 'write' ? 'write' : 'read') : 'unknown',
      target: fixed.length ? fixed.join(', ') : null,
      computed,
      credential: node.credential ?? null,
    });
  }
  return found;
}

/** What a proposal would do to the outside world, and what is new compared to the current version. */
export function describeEffects(
  proposed: WorkflowDocument | null,
  current: WorkflowDocument | null,
  catalog: CatalogPort,
): ProposalEffects {
  const next = writeSteps(proposed, catalog);
  const before = writeSteps(current, catalog);
  const key = (step: WriteStep) =>
    `${step.uses}|${step.target ?? ''}|${step.writesTo ?? ''}|${step.credential ?? ''}`;
  const known = new Set(before.map(key));
  const credentialsBefore = new Set(
    current ? allNodes(current.nodes).flatMap((node) => (node.credential ? [node.credential] : [])) : [],
  );
  const credentialsAfter = proposed
    ? [...new Set(allNodes(proposed.nodes).flatMap((node) => (node.credential ? [node.credential] : [])))]
    : [];
  const destinationKey = (d: Destination) =>
    `${d.uses}|${d.target ?? ''}|${d.computed.map((c) => `${c.field}=${c.expression}`).join(',')}|${d.credential ?? ''}`;
  const destinations = destinationsOf(proposed, catalog);
  const knownDestinations = new Set(destinationsOf(current, catalog).map(destinationKey));
  return {
    destinations,
    newDestinations: destinations.filter((d) => !knownDestinations.has(destinationKey(d))),
    credentials: credentialsAfter,
    writeSteps: next,
    newWriteSteps: current ? next.filter((step) => !known.has(key(step))) : next,
    newCredentials: current
      ? credentialsAfter.filter((name) => !credentialsBefore.has(name))
      : credentialsAfter,
  };
}

/**
 * The workflow each core.subworkflow step of `document` will run, resolved as approval will store it: for a new
 * workflow owned by `owner` (the proposer), or a new version of `owner.workflowId`.
 */
export async function describeSubworkflowSteps(
  document: WorkflowDocument | null,
  workflows: WorkflowsPort,
  owner: { ownerId: string; ownerRef: string } | { workflowId: string },
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
