import type { Permission } from '../access/index.ts';
import { ForbiddenError } from '../lib/index.ts';
import type { WorkflowPort } from './workflow-port.ts';

/** What one viewer may do with workflows and runs (ConversationPort.accessFor). */
export type ViewerAccess = {
  may(permission: Permission): boolean;
  /** The ids among `ids` of workflows the viewer may read. */
  readable(ids: readonly string[]): Promise<Set<string>>;
};

/**
 * The workflow port as one viewer sees it: only workflows they may read (and their runs, with run.read), and
 * starting runs only with run.start. The web pages and the MCP server wrap their port per person with it.
 */
export function scopedWorkflowPort(port: WorkflowPort, access: ViewerAccess): WorkflowPort {
  const readable = async (id: string) => (await access.readable([id])).has(id);
  return {
    async listWorkflows() {
      if (!access.may('workflow.read')) return [];
      const all = await port.listWorkflows();
      const ids = await access.readable(all.map((workflow) => workflow.id));
      return all.filter((workflow) => ids.has(workflow.id));
    },
    async getWorkflow(id) {
      return access.may('workflow.read') && (await readable(id)) ? port.getWorkflow(id) : undefined;
    },
    async listRuns(filter) {
      if (!access.may('run.read')) return [];
      const runs = await port.listRuns(filter);
      const ids = await access.readable([...new Set(runs.map((run) => run.workflowId))]);
      return runs.filter((run) => ids.has(run.workflowId));
    },
    async getRun(id) {
      if (!access.may('run.read')) return undefined;
      const run = await port.getRun(id);
      return run && (await readable(run.workflowId)) ? run : undefined;
    },
    async startRun(workflowId, input) {
      if (!access.may('run.start') || !(await readable(workflowId))) {
        throw new ForbiddenError({
          code: 'E_FORBIDDEN',
          message: 'You may not start this workflow.',
          hint: 'Starting runs needs the operator role or higher, and a workflow you may read.',
        });
      }
      return port.startRun(workflowId, input);
    },
    waitForRun: (runId, signal) => port.waitForRun(runId, signal),
  };
}
