import { Cron } from 'croner';
import { z } from 'zod';
import {
  AgentActionTool,
  AgentMcpTool,
  agentToolName,
  BODY_CORE_NODES,
  BRANCHING_CORE_NODES,
  findCoreNode,
} from '../nodes/index.ts';
import type { Catalog, CatalogEntry } from './catalog.ts';
import { checkParams } from './check-params.ts';
import { closestMatches } from './closest-matches.ts';
import { type Edge, type NodeGraph, WorkflowDocument, type WorkflowNode } from './document.ts';
import { checkExpression, findExpressions, SCOPE_ROOTS, scanTemplates } from './expressions.ts';
import { createAncestorLookup, findCycles, type GraphEdge, unreachableNodes } from './graph-analysis.ts';
import { joinPointer } from './json-pointer.ts';
import { toSchemaIssues } from './schema-issues.ts';
import { findSecrets } from './secret-detection.ts';
import type { ValidationIssue } from './validation-issue.ts';

export type { ValidationIssue } from './validation-issue.ts';

export type ValidationReport = {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** The parsed document (defaults applied) whenever it passed the schema, even when other errors remain. */
  document: WorkflowDocument | undefined;
};

export type ValidateOptions = {
  catalog: Catalog;
  /** Names of the stored credentials; when given, a node naming another one gets W_UNKNOWN_CREDENTIAL. */
  knownCredentials?: string[];
};

/** Deepest nesting of objects/arrays accepted (checked before the schema). */
export const MAX_DOCUMENT_DEPTH = 64;
/** At most this many errors and this many warnings are listed. */
export const MAX_ISSUES = 200;

const KNOWN_TOP_FIELDS = new Set([
  '$schema',
  'schemaVersion',
  'name',
  'description',
  'trigger',
  'vars',
  'nodes',
  'edges',
]);
const KNOWN_NODE_FIELDS = new Set([
  'id',
  'uses',
  'name',
  'with',
  'credential',
  'retry',
  'timeoutMs',
  'onError',
  'do',
]);
const KNOWN_EDGE_FIELDS = new Set(['from', 'to', 'branch']);
const KNOWN_TRIGGER_FIELDS = new Set(['type', 'cron', 'timezone', 'with', 'credential']);
const KNOWN_GRAPH_FIELDS = new Set(['nodes', 'edges']);
/** Fields starting with "x-" are declared extensions and never warned about. */
const isExtension = (key: string): boolean => key.startsWith('x-');

type Graph = {
  /** Pointer of the graph: '' for the document, '/nodes/2/do' for a foreach body. */
  pointer: string;
  nodes: WorkflowNode[];
  edges: Edge[];
  /** The foreach node whose body this is. */
  owner: NodeInfo | undefined;
  ids: Set<string>;
  upstream: (id: string) => Set<string>;
};

type NodeInfo = { node: WorkflowNode; pointer: string; graph: Graph; entry: CatalogEntry | undefined };

class IssueList {
  readonly errors: ValidationIssue[] = [];
  readonly warnings: ValidationIssue[] = [];
  private droppedErrors = 0;
  private droppedWarnings = 0;

  error(code: string, path: string, message: string, hint: string): void {
    if (this.errors.length >= MAX_ISSUES) this.droppedErrors += 1;
    else this.errors.push({ code, path, message, hint });
  }

  warn(code: string, path: string, message: string, hint: string): void {
    if (this.warnings.length >= MAX_ISSUES) this.droppedWarnings += 1;
    else this.warnings.push({ code, path, message, hint });
  }

  addErrors(issues: ValidationIssue[]): void {
    for (const issue of issues) this.error(issue.code, issue.path, issue.message, issue.hint);
  }

  finish(): void {
    if (this.droppedErrors + this.droppedWarnings > 0) {
      this.warnings.push({
        code: 'W_TRUNCATED',
        path: '',
        message: `${this.droppedErrors} more errors and ${this.droppedWarnings} more warnings were not listed`,
        hint: 'Fix the issues listed and validate again to see the rest.',
      });
    }
  }
}

/**
 * Checks a workflow document (already parsed from JSON/YAML, still untrusted) against workflow-format.md:
 * the schema, then ids, edges, actions and their parameters, branches, cycles, expressions and references,
 * inline secrets and the trigger. Never throws: every problem becomes an issue with a JSON Pointer and a hint.
 *
 * Decisions: node ids are unique across the whole document, foreach bodies included (`steps.<id>` must be
 * unambiguous). Reading `item`/`index` outside a foreach body is an error (E_REFERENCE): it is always undefined.
 */
export function validateWorkflow(input: unknown, options: ValidateOptions): ValidationReport {
  const issues = new IssueList();
  try {
    return runValidation(input, options, issues);
  } catch (error) {
    issues.error(
      'E_SCHEMA',
      '',
      `the document could not be checked: ${error instanceof Error ? error.message : String(error)}`,
      'Make sure the document is a plain JSON object following workflow-format.md.',
    );
    issues.finish();
    return { valid: false, errors: issues.errors, warnings: issues.warnings, document: undefined };
  }
}

function runValidation(input: unknown, options: ValidateOptions, issues: IssueList): ValidationReport {
  const fail = (): ValidationReport => {
    issues.finish();
    return { valid: false, errors: issues.errors, warnings: issues.warnings, document: undefined };
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.error(
      'E_SCHEMA',
      '',
      `a workflow document is a JSON object, not ${input === null ? 'null' : Array.isArray(input) ? 'an array' : `a ${typeof input}`}`,
      'Write an object: { "schemaVersion": 1, "name": "…", "trigger": { "type": "manual" }, "nodes": [ … ], "edges": [ … ] }.',
    );
    return fail();
  }
  const tooDeep = findTooDeep(input, MAX_DOCUMENT_DEPTH);
  if (tooDeep !== undefined) {
    issues.error(
      'E_SCHEMA',
      tooDeep,
      `the document nests deeper than ${MAX_DOCUMENT_DEPTH} levels (at ${tooDeep || '/'})`,
      `Flatten the value at ${tooDeep}: objects and arrays may nest at most ${MAX_DOCUMENT_DEPTH} levels.`,
    );
    return fail();
  }
  for (const secret of findSecrets(input)) {
    issues.error(
      'E_INLINE_SECRET',
      secret.pointer,
      `${secret.pointer} holds what looks like ${secret.kind} (${secret.preview})`,
      'Never put secrets in a workflow: store it as a credential (vmesh credentials set NAME --type TYPE), ' +
        'set "credential": "NAME" on the node, and remove the value from the document.',
    );
  }
  const { catalog } = options;
  const parsed = WorkflowDocument.safeParse(input);
  if (!parsed.success) {
    issues.addErrors(
      toSchemaIssues(parsed.error.issues, input, {
        actions: catalog.actions().map((entry) => entry.uses),
        triggers: catalog.triggers().map((entry) => entry.type),
      }),
    );
    return fail();
  }
  const document = parsed.data as WorkflowDocument;
  checkDocument(document, options, issues);
  issues.finish();
  return { valid: issues.errors.length === 0, errors: issues.errors, warnings: issues.warnings, document };
}

/** The pointer of the first value nested deeper than `limit`, or undefined. Iterative: safe on any depth. */
function findTooDeep(root: unknown, limit: number): string | undefined {
  const stack: { value: unknown; depth: number; pointer: string }[] = [
    { value: root, depth: 0, pointer: '' },
  ];
  while (stack.length > 0) {
    const { value, depth, pointer } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return pointer;
    if (Array.isArray(value)) {
      value.forEach((entry, index) => {
        if (typeof entry === 'object' && entry !== null) {
          stack.push({ value: entry, depth: depth + 1, pointer: joinPointer(pointer, index) });
        }
      });
    } else {
      for (const [key, entry] of Object.entries(value)) {
        if (typeof entry === 'object' && entry !== null) {
          stack.push({ value: entry, depth: depth + 1, pointer: joinPointer(pointer, key) });
        }
      }
    }
  }
  return undefined;
}

function checkDocument(document: WorkflowDocument, options: ValidateOptions, issues: IssueList): void {
  const { catalog } = options;
  const graphs: Graph[] = [];
  const nodesById = new Map<string, NodeInfo>();
  const allNodes: NodeInfo[] = [];

  const collect = (graph: NodeGraph, pointer: string, owner: NodeInfo | undefined): void => {
    const ids = new Set(graph.nodes.map((node) => node.id));
    const graphEdges = toGraphEdges(graph.edges, ids);
    const entry: Graph = {
      pointer,
      nodes: graph.nodes,
      edges: graph.edges,
      owner,
      ids,
      upstream: createAncestorLookup([...ids], graphEdges),
    };
    graphs.push(entry);
    graph.nodes.forEach((node, index) => {
      const info: NodeInfo = {
        node,
        pointer: joinPointer(pointer, 'nodes', index),
        graph: entry,
        entry: catalog.lookupAction(node.uses),
      };
      allNodes.push(info);
      const first = nodesById.get(node.id);
      if (first) {
        issues.error(
          'E_DUPLICATE_ID',
          joinPointer(info.pointer, 'id'),
          `node id "${node.id}" is used twice: by ${first.pointer} and by ${info.pointer}`,
          `Node ids must be unique in the whole document (foreach bodies included). Rename this one (e.g. "${uniqueName(node.id, nodesById)}") and update its edges and steps.${node.id} references.`,
        );
      } else {
        nodesById.set(node.id, info);
      }
      if (node.do) collect(node.do, joinPointer(info.pointer, 'do'), info);
    });
  };
  collect({ nodes: document.nodes, edges: document.edges }, '', undefined);

  checkTrigger(document, options, issues);
  warnUnknownFields(document as Record<string, unknown>, '', KNOWN_TOP_FIELDS, 'top-level field', issues);
  warnUnknownFields(
    document.trigger as Record<string, unknown>,
    '/trigger',
    KNOWN_TRIGGER_FIELDS,
    'trigger field',
    issues,
  );

  for (const graph of graphs) checkGraph(graph, nodesById, issues);
  for (const info of allNodes) checkNode(info, document, options, nodesById, issues);
}

function uniqueName(id: string, taken: Map<string, unknown>): string {
  const base = id.slice(0, 60);
  for (let suffix = 2; ; suffix += 1) {
    if (!taken.has(`${base}${suffix}`)) return `${base}${suffix}`;
  }
}

function toGraphEdges(edges: Edge[], ids: Set<string>): GraphEdge[] {
  const out: GraphEdge[] = [];
  edges.forEach((edge, index) => {
    if (ids.has(edge.from) && ids.has(edge.to)) out.push({ from: edge.from, to: edge.to, index });
  });
  return out;
}

function warnUnknownFields(
  value: Record<string, unknown>,
  pointer: string,
  known: Set<string>,
  label: string,
  issues: IssueList,
): void {
  for (const key of Object.keys(value)) {
    if (known.has(key) || isExtension(key)) continue;
    const suggestion = closestMatches(key, [...known], 1)[0];
    issues.warn(
      'W_UNKNOWN_FIELD',
      joinPointer(pointer, key),
      `unknown ${label} "${key.slice(0, 100)}" at ${pointer || '/'} is ignored`,
      suggestion !== undefined
        ? `Did you mean "${suggestion}"? If "${key.slice(0, 100)}" is a deliberate extension, name it "x-${key.slice(0, 100)}".`
        : `Remove it, or name deliberate extensions with an "x-" prefix.`,
    );
  }
}

function checkTrigger(document: WorkflowDocument, options: ValidateOptions, issues: IssueList): void {
  const trigger = document.trigger;
  const entry = options.catalog.lookupTrigger(trigger.type);
  if (!entry) {
    const known = options.catalog.triggers().map((candidate) => candidate.type);
    const suggestions = closestMatches(trigger.type, known);
    const connector = trigger.type.split('.')[0] ?? '';
    const siblings = known.filter((type) => type.startsWith(`${connector}.`));
    issues.error(
      'E_TRIGGER',
      '/trigger/type',
      `trigger.type "${trigger.type}" is not a known trigger`,
      siblings.length > 0
        ? `The ${connector} connector offers: ${siblings.join(', ')}.`
        : `Use manual, webhook, form, schedule, chat, workflow.failed or a connector trigger${suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}` : ''}.`,
    );
  }
  if (trigger.type === 'schedule') {
    const timezoneOk = trigger.timezone === undefined || isTimeZone(trigger.timezone);
    if (!timezoneOk) {
      issues.error(
        'E_TRIGGER',
        '/trigger/timezone',
        `trigger.timezone "${String(trigger.timezone).slice(0, 100)}" is not an IANA time zone`,
        'Use a name from the IANA time zone database, e.g. "UTC", "Europe/Paris" or "America/New_York".',
      );
    }
    if (trigger.cron === undefined || trigger.cron.trim() === '') {
      issues.error(
        'E_TRIGGER',
        '/trigger',
        'a schedule trigger needs "cron"',
        'Add "cron" to the trigger, e.g. "cron": "0 9 * * 1-5" (09:00 on weekdays), and optionally "timezone".',
      );
    } else {
      const cronError = cronProblem(trigger.cron, timezoneOk ? trigger.timezone : undefined);
      if (cronError !== undefined) {
        issues.error(
          'E_TRIGGER',
          '/trigger/cron',
          `trigger.cron "${trigger.cron.slice(0, 100)}" is not a valid cron expression: ${cronError}`,
          'Write 5 fields "minute hour day-of-month month day-of-week" (or 6 with seconds first), e.g. "*/15 * * * *" or "0 9 * * 1-5".',
        );
      }
    }
  } else {
    for (const field of ['cron', 'timezone'] as const) {
      if (trigger[field] !== undefined) {
        issues.warn(
          'W_TRIGGER_FIELD_IGNORED',
          `/trigger/${field}`,
          `trigger.${field} only applies to "schedule" triggers and is ignored for "${trigger.type}"`,
          `Remove "${field}", or set "type": "schedule" to run on a timetable.`,
        );
      }
    }
  }
  if (entry) {
    const result = entry.with.safeParse(trigger.with ?? {});
    if (!result.success) {
      for (const issue of result.error.issues.slice(0, 20)) {
        const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
        issues.error(
          'E_TRIGGER',
          joinPointer('/trigger/with', ...path),
          `trigger.with${path.length > 0 ? `.${path.join('.')}` : ''} is invalid for ${trigger.type}: ${issue.message}`,
          triggerWithHint(trigger.type, entry.with, issue, trigger.with ?? {}),
        );
      }
    }
    if (trigger.type === 'webhook' && result.success && trigger.with?.verify === 'token') {
      issues.warn(
        'W_WEBHOOK_TOKEN_URL',
        '/trigger/with/verify',
        'verify "token" puts the hook secret in the URL (POST /hooks/<id>/<secret>), where the sender\'s logs and proxies keep it',
        "Use the sender's own signing scheme when it has one (github, stripe, slack, …, or hmac with its header and algorithm); keep token for senders that can neither sign nor set a header.",
      );
    }
    checkCredential(
      entry.credentialType,
      trigger.credential,
      '/trigger',
      `the ${trigger.type} trigger`,
      options.knownCredentials,
      issues,
    );
  }
}

/** The fields a trigger's `with` schema accepts (its JSON Schema's properties), or none. */
function acceptedFields(schema: z.ZodType): string[] {
  try {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
    };
    return Object.keys(json.properties ?? {});
  } catch {
    return [];
  }
}

/** What to change for one issue of `trigger.with`: the fields it takes, the value meant, where a field belongs. */
function triggerWithHint(
  type: string,
  schema: z.ZodType,
  issue: z.core.$ZodIssue,
  withValue: unknown,
): string {
  const fields = acceptedFields(schema);
  const takes =
    fields.length > 0
      ? `${type} takes ${fields.map((field) => `"${field}"`).join(', ')} in trigger.with`
      : `${type} takes no trigger.with`;
  if (issue.code === 'unrecognized_keys') {
    const moved = issue.keys.filter((key) => key === 'cron' || key === 'timezone');
    if (moved.length > 0 && type === 'schedule') {
      return `Move ${moved.map((key) => `"${key}"`).join(' and ')} out of with: they are fields of trigger itself, e.g. "trigger": { "type": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris" }.`;
    }
    const near = issue.keys.flatMap((key) =>
      closestMatches(key, fields, 1).map((match) => `"${match}" for "${key}"`),
    );
    return `Remove ${issue.keys.map((key) => `"${key}"`).join(', ')} from trigger.with (${takes}${near.length > 0 ? `; did you mean ${near.join(', ')}` : ''}).`;
  }
  if (issue.code === 'invalid_value') {
    const given = issue.path.reduce<unknown>(
      (value, key) =>
        value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined,
      withValue,
    );
    const options = issue.values.map(String);
    const near = typeof given === 'string' ? closestMatches(given, options, 1) : [];
    return `Use one of ${options.map((option) => `"${option}"`).join(', ')}${near.length > 0 ? ` (did you mean "${near[0]}"?)` : ''}.`;
  }
  return `Fix trigger.with to match what ${type} accepts (${takes}): ${issue.message}.`;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronProblem(cron: string, timezone: string | undefined): string | undefined {
  try {
    const job = new Cron(cron, { paused: true, ...(timezone ? { timezone } : {}) });
    const next = job.nextRun();
    job.stop();
    return next === null ? 'it never fires' : undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function checkCredential(
  credentialType: string | undefined,
  credential: string | undefined,
  pointer: string,
  label: string,
  knownCredentials: string[] | undefined,
  issues: IssueList,
): void {
  if (credentialType !== undefined && credential === undefined) {
    const candidates = knownCredentials?.length
      ? ` Stored credentials: ${knownCredentials.slice(0, 20).join(', ')}.`
      : '';
    issues.warn(
      'W_MISSING_CREDENTIAL',
      pointer,
      `${label} needs a ${credentialType} credential but names none`,
      `Add "credential": "<name of a stored ${credentialType} credential>" to ${label}; store one with ` +
        `\`vmesh credentials set NAME --type ${credentialType}\` if there is none.${candidates}`,
    );
    return;
  }
  if (credential === undefined) return;
  if (credentialType === undefined) {
    issues.warn(
      'W_CREDENTIAL_NOT_NEEDED',
      joinPointer(pointer, 'credential'),
      `${label} takes no credential, but names "${credential}"`,
      'Remove "credential" from it.',
    );
    return;
  }
  if (knownCredentials && !knownCredentials.includes(credential)) {
    const suggestions = closestMatches(credential, knownCredentials);
    issues.warn(
      'W_UNKNOWN_CREDENTIAL',
      joinPointer(pointer, 'credential'),
      `${label} names credential "${credential}", which is not stored`,
      suggestions.length > 0
        ? `Use one of the stored credentials: ${suggestions.join(', ')}; or store "${credential}" (vmesh credentials set ${credential} --type ${credentialType}).`
        : `Store it first: vmesh credentials set ${credential} --type ${credentialType}.`,
    );
  }
}

function checkGraph(graph: Graph, nodesById: Map<string, NodeInfo>, issues: IssueList): void {
  const seenEdges = new Set<string>();
  graph.edges.forEach((edge, index) => {
    const edgePointer = joinPointer(graph.pointer, 'edges', index);
    warnUnknownFields(edge as Record<string, unknown>, edgePointer, KNOWN_EDGE_FIELDS, 'edge field', issues);
    for (const end of ['from', 'to'] as const) {
      const id = edge[end];
      if (graph.ids.has(id)) continue;
      const elsewhere = nodesById.get(id);
      const suggestions = closestMatches(id, [...graph.ids]);
      issues.error(
        'E_UNKNOWN_NODE',
        joinPointer(edgePointer, end),
        elsewhere
          ? `edge ${edgePointer} "${end}": node "${id}" is not in this graph (it is at ${elsewhere.pointer})`
          : `edge ${edgePointer} "${end}": there is no node "${id}"`,
        elsewhere
          ? `Edges connect nodes of the same graph: a foreach body's edges (in its "do") link only its body nodes, and top-level edges only top-level nodes. Move the edge or the node.`
          : `Use the id of an existing node${suggestions.length > 0 ? `: did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '.'} Add the node if it is missing.`,
      );
    }
    const key = `${edge.from}\u0000${edge.to}\u0000${edge.branch ?? ''}`;
    if (seenEdges.has(key)) {
      issues.warn(
        'W_DUPLICATE_EDGE',
        edgePointer,
        `edge ${edgePointer} repeats an earlier edge from "${edge.from}" to "${edge.to}"`,
        'Remove the duplicate edge.',
      );
    }
    seenEdges.add(key);
  });
  warnUnknownGraphFields(graph, issues);
  checkBranches(graph, nodesById, issues);
  const graphEdges = toGraphEdges(graph.edges, graph.ids);
  const ids = graph.nodes.map((node) => node.id);
  const cycles = findCycles(ids, graphEdges);
  for (const cycle of cycles) {
    const members = new Set(cycle);
    const inCycle = graphEdges.filter((edge) => members.has(edge.from) && members.has(edge.to));
    const first = inCycle[0];
    issues.error(
      'E_CYCLE',
      joinPointer(graph.pointer, 'edges', first?.index ?? 0),
      `the edges between ${cycle.map((id) => `"${id}"`).join(', ')} form a cycle (edges ${inCycle
        .map((edge) => `${edge.from}→${edge.to}`)
        .join(', ')})`,
      `Edges must not loop back. Remove the edge that goes back (e.g. ${first ? `from "${first.from}" to "${first.to}"` : 'one of them'}); to repeat steps for each item of a list, put them in a core.foreach node's "do" body.`,
    );
  }
  if (cycles.length > 0) {
    const cyclic = new Set(cycles.flat());
    for (const id of unreachableNodes(ids, graphEdges)) {
      if (cyclic.has(id)) continue;
      const info = nodesById.get(id);
      issues.warn(
        'W_UNREACHABLE',
        info?.pointer ?? graph.pointer,
        `node "${id}" can never start: every path to it goes through a cycle`,
        'Remove the cycle, or connect the node to a node that runs.',
      );
    }
  }
}

function warnUnknownGraphFields(graph: Graph, issues: IssueList): void {
  if (!graph.owner?.node.do) return;
  warnUnknownFields(
    graph.owner.node.do as Record<string, unknown>,
    graph.pointer,
    KNOWN_GRAPH_FIELDS,
    'body field',
    issues,
  );
}

function checkBranches(graph: Graph, nodesById: Map<string, NodeInfo>, issues: IssueList): void {
  const usedBranches = new Map<string, Set<string>>();
  graph.edges.forEach((edge, index) => {
    const source = nodesById.get(edge.from);
    if (!source || source.graph !== graph || !source.entry) return;
    const edgePointer = joinPointer(graph.pointer, 'edges', index);
    const branches = source.entry.branches(source.node.with);
    const routes = source.node.onError === 'route';
    if (edge.branch === undefined) {
      if (BRANCHING_CORE_NODES.has(source.node.uses)) {
        issues.warn(
          'W_EDGE_WITHOUT_BRANCH',
          edgePointer,
          `edge from "${edge.from}" (${source.node.uses}) to "${edge.to}" has no branch, so "${edge.to}" runs whichever branch is taken`,
          `Add "branch": one of ${branches.map((b) => `"${b}"`).join(', ')}; leave it out only if "${edge.to}" should run in every case.`,
        );
      }
      return;
    }
    usedBranches.set(edge.from, (usedBranches.get(edge.from) ?? new Set()).add(edge.branch));
    if (branches.includes(edge.branch) || (routes && edge.branch === 'error')) return;
    const allowed = [...branches, ...(routes ? ['error'] : [])];
    issues.error(
      'E_BAD_BRANCH',
      joinPointer(edgePointer, 'branch'),
      `edge from "${edge.from}" (${source.node.uses}) names branch "${edge.branch}", which ${source.node.uses} cannot take`,
      edge.branch === 'error'
        ? `Set "onError": "route" on node "${edge.from}" to follow "error" edges when it fails, or remove the branch.`
        : allowed.length > 0
          ? `Use one of: ${allowed.map((b) => `"${b}"`).join(', ')}.`
          : `${source.node.uses} has no branches: remove "branch" from the edge (or set "onError": "route" on "${edge.from}" and use "error").`,
    );
  });
  for (const node of graph.nodes) {
    const info = nodesById.get(node.id);
    if (!info || info.graph !== graph) continue;
    const used = usedBranches.get(node.id) ?? new Set<string>();
    if (node.onError === 'route' && !used.has('error')) {
      issues.warn(
        'W_ROUTE_WITHOUT_ERROR_EDGE',
        joinPointer(info.pointer, 'onError'),
        `node "${node.id}" has onError "route" but no edge with branch "error" leaves it, so its failures lead nowhere`,
        `Add an edge { "from": "${node.id}", "to": "<handler>", "branch": "error" }, or use "onError": "continue" or "fail".`,
      );
    }
    const watched = findCoreNode(node.uses)?.watchedBranches?.(node.with) ?? [];
    for (const branch of watched) {
      if (used.has(branch)) continue;
      issues.warn(
        'W_BRANCH_UNUSED',
        info.pointer,
        `branch "${branch}" of node "${node.id}" (${node.uses}) leads nowhere: no edge names it`,
        `Add an edge { "from": "${node.id}", "to": "<next step>", "branch": "${branch}" }, or remove the branch if nothing should happen then.`,
      );
    }
  }
}

function checkNode(
  info: NodeInfo,
  document: WorkflowDocument,
  options: ValidateOptions,
  nodesById: Map<string, NodeInfo>,
  issues: IssueList,
): void {
  const { node, pointer, entry } = info;
  warnUnknownFields(node as Record<string, unknown>, pointer, KNOWN_NODE_FIELDS, 'node field', issues);
  if (!entry) {
    const known = options.catalog.actions().map((candidate) => candidate.uses);
    const connector = node.uses.split('.')[0] ?? '';
    const siblings = known.filter((uses) => uses.startsWith(`${connector}.`));
    const suggestions = closestMatches(node.uses, known);
    issues.error(
      'E_UNKNOWN_ACTION',
      joinPointer(pointer, 'uses'),
      `node "${node.id}" uses "${node.uses}", which is not a known action or core node`,
      suggestions.length > 0
        ? `Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?${siblings.length > 0 ? ` ${connector} offers: ${siblings.slice(0, 30).join(', ')}.` : ''}`
        : siblings.length > 0
          ? `${connector} offers: ${siblings.slice(0, 30).join(', ')}.`
          : `No connector "${connector}" is installed. Use a core node (core.if, core.transform, …) or an installed connector's action; search the connector docs for one that does this.`,
    );
  } else if (!checkActionRules(info, issues)) {
    // The action's own rules go first: their message says what to change, the schema's would only follow from it.
    issues.addErrors(
      checkParams(entry.input, node.with, {
        nodeId: node.id,
        uses: node.uses,
        pointer: joinPointer(pointer, 'with'),
      }),
    );
    checkCredential(
      entry.credentialType,
      node.credential,
      pointer,
      `node "${node.id}" (${node.uses})`,
      options.knownCredentials,
      issues,
    );
  }
  const core = findCoreNode(node.uses);
  if (core?.body && !node.do) {
    issues.error(
      'E_SCHEMA',
      pointer,
      `${node.uses} node "${node.id}" has no body "do"`,
      `Add "do": { "nodes": [ … ], "edges": [ … ] } beside "with": the steps to run for each item (they read "item" and "index").`,
    );
  }
  if (!core?.body && node.do) {
    const runners = [...BODY_CORE_NODES].join(' or ');
    issues.error(
      'E_SCHEMA',
      joinPointer(pointer, 'do'),
      `node "${node.id}" (${node.uses}) has a "do" body, which only ${runners} runs`,
      `Remove "do", or make "${node.id}" a ${runners} node to run the body per item.`,
    );
  }
  if (core?.trigger && !core.trigger.types.includes(document.trigger.type)) {
    issues.warn(
      core.trigger.warning,
      joinPointer(pointer, 'uses'),
      `node "${node.id}" is ${node.uses}, but the trigger is "${document.trigger.type}": ${core.trigger.reason}`,
      core.trigger.hint,
    );
  }
  for (const problem of core?.check?.(node.with) ?? []) {
    issues.error(
      problem.code,
      joinPointer(pointer, 'with', ...problem.field),
      `node "${node.id}" (${node.uses}): ${problem.message}`,
      problem.hint,
    );
  }
  checkLiteralInputs(info, issues);
  checkSubworkflowTarget(info, issues);
  checkAgentTools(info, options, issues);
  checkExpressions(info, document, nodesById, issues);
}

/**
 * core.agent's tools are connector actions bound like nodes: each must exist, its fixed `with` must be parameters
 * of the action, and its credential is checked as a node's.
 */
function checkAgentTools(info: NodeInfo, options: ValidateOptions, issues: IssueList): void {
  const { node, pointer } = info;
  if (node.uses !== 'core.agent' || !Array.isArray(node.with.tools)) return;
  node.with.tools.forEach((value: unknown, index: number) => {
    const at = joinPointer(pointer, 'with', 'tools', String(index));
    const mcp = AgentMcpTool.safeParse(value);
    if (mcp.success) {
      checkAgentMcpTool(info, mcp.data, at, options, issues);
      return;
    }
    const tool = AgentActionTool.safeParse(value);
    if (!tool.success) return;
    const entry = options.catalog.lookupAction(tool.data.uses);
    if (entry?.kind !== 'action') {
      const known = options.catalog
        .actions()
        .filter((candidate) => candidate.kind === 'action')
        .map((candidate) => candidate.uses);
      const suggestions = closestMatches(tool.data.uses, known);
      issues.error(
        'E_UNKNOWN_ACTION',
        joinPointer(at, 'uses'),
        `node "${node.id}" (core.agent): tool "${tool.data.uses}" is not a known connector action${entry ? ' (core nodes are not tools)' : ''}`,
        suggestions.length > 0
          ? `Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?`
          : 'Use a connector action such as "http.request".',
      );
      return;
    }
    if (tool.data.with && entry.input instanceof z.ZodObject) {
      issues.addErrors(
        checkParams(entry.input.partial(), tool.data.with, {
          nodeId: node.id,
          uses: tool.data.uses,
          pointer: joinPointer(at, 'with'),
        }),
      );
    }
    checkCredential(
      entry.credentialType,
      tool.data.credential,
      at,
      `tool "${agentToolName(tool.data)}" of node "${node.id}" (${tool.data.uses})`,
      options.knownCredentials,
      issues,
    );
  });
}

/** An MCP tool declaration: its server as mcp.callTool checks it (stdio: allow-listed, literal), its credential. */
function checkAgentMcpTool(
  info: NodeInfo,
  tool: AgentMcpTool,
  at: string,
  options: ValidateOptions,
  issues: IssueList,
): void {
  const { node } = info;
  const entry = options.catalog.lookupAction('mcp.callTool');
  if (entry?.kind !== 'action') {
    issues.error(
      'E_UNKNOWN_ACTION',
      joinPointer(at, 'mcp'),
      `node "${node.id}" (core.agent): MCP tools need the mcp connector, which is not installed`,
      'Install the mcp connector, or remove the { mcp } tool.',
    );
    return;
  }
  for (const issue of entry.checkWith?.({ server: tool.server }) ?? []) {
    issues.error(
      'E_PARAMS',
      `${at}${issue.field}`,
      `node "${node.id}" (core.agent): MCP tool "${tool.mcp}": ${issue.message} [${issue.code}]`,
      issue.hint,
    );
  }
  if (options.knownCredentials && !options.knownCredentials.includes(tool.mcp)) {
    const suggestions = closestMatches(tool.mcp, options.knownCredentials);
    // As a node's credential: a warning (it may be stored before the run); the run fails with E_CREDENTIAL.
    issues.warn(
      'W_UNKNOWN_CREDENTIAL',
      joinPointer(at, 'mcp'),
      `node "${node.id}" (core.agent): MCP tool credential "${tool.mcp}" is not stored`,
      suggestions.length > 0
        ? `Use one of the stored credentials: ${suggestions.join(', ')}; or store "${tool.mcp}" (vmesh credentials set ${tool.mcp} --type mcp).`
        : `Store it first: vmesh credentials set ${tool.mcp} --type mcp.`,
    );
  }
}

/** A sub-workflow's target is fixed when the document is approved: never computed from run data. */
function checkSubworkflowTarget(info: NodeInfo, issues: IssueList): void {
  const { node, pointer } = info;
  if (node.uses !== 'core.subworkflow') return;
  const value = node.with.workflow;
  if (typeof value !== 'string' || !value.includes('{{')) return;
  issues.error(
    'E_SUBWORKFLOW_TARGET',
    joinPointer(pointer, 'with', 'workflow'),
    `node "${node.id}" (core.subworkflow): "workflow" must be written literally; it holds a {{ }} expression`,
    'Set "workflow" to the id or exact name of one stored workflow; to choose between workflows, use core.switch with one core.subworkflow step per branch.',
  );
}

/**
 * The action's own checks of `with` (e.g. mcp: a stdio server must be allow-listed and named literally); true
 * when it found a problem.
 */
function checkActionRules(info: NodeInfo, issues: IssueList): boolean {
  const { node, pointer, entry } = info;
  const found = entry?.checkWith?.(node.with) ?? [];
  for (const issue of found) {
    issues.error(
      'E_PARAMS',
      `${joinPointer(pointer, 'with')}${issue.field}`,
      `node "${node.id}" (${node.uses}): ${issue.message} [${issue.code}]`,
      issue.hint,
    );
  }
  return found.length > 0;
}

/** Parameters an action treats as code (SQL text…) must be literal: trigger data must never become code. */
function checkLiteralInputs(info: NodeInfo, issues: IssueList): void {
  const { node, pointer, entry } = info;
  for (const field of entry?.literalInputs ?? []) {
    const value = node.with[field];
    if (findExpressions(value).length === 0) continue;
    issues.error(
      'E_PARAMS',
      joinPointer(pointer, 'with', field),
      `node "${node.id}" (${node.uses}): "${field}" must be written literally; it holds a {{ }} expression`,
      `Write "${field}" as fixed text with placeholders and pass the changing values through the action's parameters (for postgres.query: "sql": "select * from users where id = $1", "params": ["{{ trigger.body.id }}"]).`,
    );
  }
}

function checkExpressions(
  info: NodeInfo,
  document: WorkflowDocument,
  nodesById: Map<string, NodeInfo>,
  issues: IssueList,
): void {
  const { node, pointer } = info;
  const literal = new Set(findCoreNode(node.uses)?.literalFields ?? []);
  const templated = Object.fromEntries(Object.entries(node.with).filter(([key]) => !literal.has(key)));
  const scanned = scanTemplates(templated, joinPointer(pointer, 'with'));
  for (const error of scanned.errors) {
    issues.error(
      'E_EXPRESSION',
      error.pointer,
      `node "${node.id}": the template at ${error.pointer} is malformed: ${error.message} (at character ${error.position})`,
      'Write expressions as "{{ <JSONata> }}", closing every "{{" with "}}".',
    );
  }
  const insideBody = info.graph.owner !== undefined;
  const available = availableSteps(info);
  const declaredVars = new Set(Object.keys(document.vars ?? {}));
  const reported = new Set<string>();
  for (const found of scanned.expressions) {
    const checked = checkExpression(found.source);
    const shown = found.source.trim().slice(0, 120);
    if (!checked.ok) {
      issues.error(
        'E_EXPRESSION',
        found.pointer,
        `node "${node.id}": the expression {{ ${shown} }} at ${found.pointer} does not parse: ${checked.error.message} (at character ${checked.error.position})`,
        'Fix the JSONata syntax. Expressions read trigger.<field>, steps.<id>.output.<field>, vars.<name>, and item/index in foreach bodies; strings use quotes, e.g. {{ trigger.body.title & " (new)" }}.',
      );
      continue;
    }
    for (const reference of checked.value.steps) {
      const key = `${found.pointer}\u0000${reference.id}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const problem = referenceProblem(reference.id, info, available, nodesById);
      if (problem) issues.error('E_REFERENCE', found.pointer, problem.message, problem.hint);
      else if (reference.field !== undefined && reference.field !== 'output') {
        issues.warn(
          'W_STEP_FIELD',
          found.pointer,
          `node "${node.id}": steps.${reference.id}.${reference.field} reads nothing: a step's data is under "output"`,
          `Write steps.${reference.id}.output.${reference.field}.`,
        );
      }
    }
    for (const root of checked.value.roots) {
      if ((root.name === 'item' || root.name === 'index') && !insideBody) {
        issues.error(
          'E_REFERENCE',
          found.pointer,
          `node "${node.id}": the expression {{ ${shown} }} reads "${root.name}", which exists only inside a core.foreach body`,
          BODY_CORE_NODES.has(node.uses)
            ? `"${root.name}" is available to the nodes in "do", not to this node's own "with"; read the list from trigger or steps here.`
            : `Move "${node.id}" into a core.foreach node's "do" body, or read the data from trigger.<field> or steps.<id>.output.`,
        );
      } else if (!(SCOPE_ROOTS as readonly string[]).includes(root.name)) {
        issues.warn(
          'W_UNKNOWN_ROOT',
          found.pointer,
          `node "${node.id}": the expression {{ ${shown} }} reads "${root.name}" at the top, which is always undefined`,
          `Expressions start from trigger, steps, vars${insideBody ? ', item, index' : ''}: write e.g. trigger.body.${root.name} or steps.<id>.output.${root.name}.`,
        );
      }
    }
    for (const name of checked.value.vars) {
      if (declaredVars.has(name)) continue;
      issues.warn(
        'W_UNKNOWN_VAR',
        found.pointer,
        `node "${node.id}": vars.${name} is not declared in "vars"`,
        `Add "${name}" to the top-level "vars" object, or fix the name${declaredVars.size > 0 ? ` (declared: ${[...declaredVars].slice(0, 20).join(', ')})` : ''}.`,
      );
    }
  }
}

/** The step ids a node's expressions may read: upstream in its graph, and upstream of each enclosing foreach. */
function availableSteps(info: NodeInfo): Set<string> {
  const available = new Set<string>();
  let current: NodeInfo | undefined = info;
  while (current) {
    for (const id of current.graph.upstream(current.node.id)) available.add(id);
    current = current.graph.owner;
  }
  return available;
}

function referenceProblem(
  id: string,
  info: NodeInfo,
  available: Set<string>,
  nodesById: Map<string, NodeInfo>,
): { message: string; hint: string } | undefined {
  const { node } = info;
  if (available.has(id)) return undefined;
  const target = nodesById.get(id);
  if (!target) {
    const suggestions = closestMatches(id, [...nodesById.keys()]);
    return {
      message: `node "${node.id}" reads steps.${id}, but there is no node "${id}"`,
      hint: `Use the id of an upstream node${suggestions.length > 0 ? `: did you mean ${suggestions.map((s) => `steps.${s}`).join(', ')}?` : '.'}`,
    };
  }
  if (id === node.id) {
    return {
      message: `node "${node.id}" reads its own output (steps.${id}), which does not exist while it runs`,
      hint: 'Read the data from an upstream node or from trigger instead.',
    };
  }
  let enclosing = info.graph.owner;
  while (enclosing) {
    if (enclosing.node.id === id) {
      return {
        message: `node "${node.id}" is inside the body of "${id}" and reads steps.${id}, which is only ready after the loop`,
        hint: 'Inside a foreach body read the current element as "item" and its position as "index".',
      };
    }
    enclosing = enclosing.graph.owner;
  }
  if (target.graph.owner && !isWithin(info, target.graph.owner)) {
    return {
      message: `node "${node.id}" reads steps.${id}, which runs inside the body of core.foreach "${target.graph.owner.node.id}"`,
      hint: `Body steps run once per item; read the loop's results as steps.${target.graph.owner.node.id}.output (one entry per item), with an edge from "${target.graph.owner.node.id}" to "${node.id}".`,
    };
  }
  if (target.graph !== info.graph && !isWithin(info, target.graph.owner)) {
    return {
      message: `node "${node.id}" reads steps.${id}, which is not upstream of it`,
      hint: `Add an edge so that "${id}" runs before "${node.id}".`,
    };
  }
  return {
    message: `node "${node.id}" reads steps.${id}, but "${id}" is not upstream of "${node.id}" (no path of edges leads from it)`,
    hint: `Add an edge { "from": "${id}", "to": "${node.id}" } (or a path through other nodes) so "${id}" finishes first.`,
  };
}

/** Whether a node lies (at any depth) inside the body of `owner`. */
function isWithin(info: NodeInfo, owner: NodeInfo | undefined): boolean {
  if (!owner) return true;
  let current = info.graph.owner;
  while (current) {
    if (current === owner) return true;
    current = current.graph.owner;
  }
  return false;
}
