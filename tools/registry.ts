import { listAlertsTool, removeAlertTool, setAlertTool } from './alerts.ts';
import type { AnyTool } from './define-tool.ts';
import { draftWorkflowTool } from './draft-workflow.ts';
import { explainFailureTool } from './explain-failure.ts';
import { getActionTool } from './get-action.ts';
import { getRunTool } from './get-run.ts';
import { getWorkflowTool } from './get-workflow.ts';
import { listConnectorsTool } from './list-connectors.ts';
import { listWorkflowsTool } from './list-workflows.ts';
import { cancelRunTool, pauseWorkflowTool, retryRunTool, runWorkflowTool } from './operate-workflows.ts';
import { proposeChangeTool } from './propose-change.ts';
import { proposeFixTool } from './propose-fix.ts';
import { deleteWorkflowTool, resumeWorkflowTool, rollbackWorkflowTool } from './propose-operations.ts';
import { proposeWorkflowTool } from './propose-workflow.ts';
import { searchDocsTool } from './search-docs.ts';
import { testWorkflowTool } from './test-workflow.ts';

/** Every agent tool, declared once. The providers and the MCP server get adapted copies of this one list. */
export const agentTools: AnyTool[] = [
  searchDocsTool,
  listConnectorsTool,
  getActionTool,
  draftWorkflowTool,
  testWorkflowTool,
  proposeWorkflowTool,
  proposeChangeTool,
  listWorkflowsTool,
  getWorkflowTool,
  getRunTool,
  explainFailureTool,
  proposeFixTool,
  runWorkflowTool,
  pauseWorkflowTool,
  resumeWorkflowTool,
  retryRunTool,
  cancelRunTool,
  rollbackWorkflowTool,
  deleteWorkflowTool,
  setAlertTool,
  listAlertsTool,
  removeAlertTool,
] as AnyTool[];
