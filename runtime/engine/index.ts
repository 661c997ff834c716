// The engine's programmatic surface (re-exported by runtime/index.ts).

export {
  getRunView,
  listRunSummaries,
  RunSummary,
  RunView,
  StepView,
  waitForRun,
} from '../store/run-store.ts';
export { createWorkflowService, invalidDocument, type WorkflowService } from '../store/workflow-service.ts';
export {
  findWorkflow,
  findWorkflowByIdOrName,
  getVersionRow,
  getWorkflowRow,
  listVersionRows,
  listWorkflowRows,
  type WorkflowMeta,
  WorkflowRow,
  WorkflowVersionRow,
} from '../store/workflow-store.ts';
export {
  type ChatTriggerData,
  dispatchChatMessage,
  dispatchEvent,
  nextSlot,
  syncSchedule,
  triggerSync,
  triggerTasks,
  verifyHook,
  WEBHOOK_BODY_LIMIT,
} from '../triggers/index.ts';
export {
  ApprovalDecision,
  cancelRun,
  decideApproval,
  retryRun,
  type StartRunOptions,
  startRun,
} from './engine.ts';
export { createEngineServices, type EngineServices } from './engine-services.ts';
export { idempotencyKeyFor } from './idempotency-key.ts';
export type { NodeRunnerDeps } from './node-runner.ts';
export { DEFAULT_SANDBOX_LIMITS, runSandboxedCode, type SandboxLimits } from './sandbox.ts';
export {
  type EngineWorker,
  type EngineWorkerOptions,
  startEngineWorker,
  sweepDeadWorkers,
} from './worker.ts';
