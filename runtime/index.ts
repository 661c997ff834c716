// The public surface of runtime/: other folders import only from here.

export * from './alerts/index.ts';
export { FailedRunsQuery, RenameWorkflowBody, RetryFailedBody } from './api/operation-routes.ts';
export * from './engine/index.ts';
export { RUN_FAILED_TASK } from './engine/tasks.ts';
export * from './engine/worker-schema.ts';
export { findFileRefs } from './files/index.ts';
export * from './nodes/index.ts';
export { createEngineServices, type EngineServices } from './services.ts';
export {
  CONNECT_LINK_TTL_MS,
  type ConnectLinks,
  createConnectLinks,
  type LinkContext,
} from './store/connect-links.ts';
export { contentHash } from './store/content-hash.ts';
export {
  CREDENTIAL_EVENT_TASK,
  type CredentialEvent,
  CredentialEventPayload,
  getCredentialEvent,
  recordCredentialWait,
  takeCredentialWaits,
} from './store/credential-events.ts';
export {
  type CredentialService,
  type CredentialTestResult,
  type CredentialView,
  createCredentialService,
} from './store/credential-service.ts';
export { credentialNamesOf, credentialUsers } from './store/credential-usage.ts';
export { FailedRun, type FailedRunFilter, listFailedRuns } from './store/failed-runs.ts';
export { type FailureBasis, failureGroupOf, failureReason } from './store/failure-group.ts';
export {
  computeInsights,
  INSIGHTS_MAX_DAYS,
  Insights,
  InsightsQuery,
  LlmUsage,
  UsageSummary,
} from './store/insights.ts';
export {
  MAX_SUBWORKFLOW_DEPTH,
  maySubworkflowRun,
  type SubworkflowOwner,
} from './store/may-subworkflow-run.ts';
export { createOAuth2Tokens } from './store/oauth2-tokens.ts';
export {
  assertRunVisible,
  changeableWorkflow,
  mayHandleHookSecret,
  owns,
  visibilityOf,
  visibleWorkflow,
} from './store/object-access.ts';
export { type PendingApproval, pendingApprovalsOf } from './store/pending-approvals.ts';
export { listRunPage, RunListQuery, type RunPage } from './store/run-list.ts';
export { runRetentionDays } from './store/run-retention.ts';
export * from './store/run-status.ts';
export {
  getRunView,
  getStepDetail,
  listRunSummaries,
  RunSummary,
  RunView,
  type RunViewOptions,
  StepDetail,
  StepView,
  waitForRun,
} from './store/run-store.ts';
export { type StalledPollTrigger, stalledPollTriggers } from './store/stalled-poll-triggers.ts';
export {
  findSubworkflowTarget,
  type SubworkflowTarget,
  subworkflowNodes,
} from './store/subworkflow-targets.ts';
export {
  getWorkflowRetention,
  setWorkflowRetention,
  type WorkflowRetention,
} from './store/workflow-retention.ts';
export { type RollbackResult, rollbackWorkflow } from './store/workflow-rollback.ts';
export { setWorkflowScope } from './store/workflow-scope.ts';
export { createWorkflowService, invalidDocument, type WorkflowService } from './store/workflow-service.ts';
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
} from './store/workflow-store.ts';
export {
  type ChatTriggerData,
  dispatchChatMessage,
  dispatchEvent,
  getPollStatus,
  getTriggerEvent,
  type HookEndpoint,
  hookEndpointOf,
  nextSlot,
  type PollStatus,
  sendFormMessagePage,
  setHookSecret,
  syncSchedule,
  TRIGGER_EVENT_TASK,
  type TriggerEvent,
  TriggerEventPayload,
  type TriggerHealth,
  triggerHealth,
  triggerSync,
  triggerTasks,
  verifyHook,
  WEBHOOK_BODY_LIMIT,
} from './triggers/index.ts';
export * from './workflow/index.ts';
