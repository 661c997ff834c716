// The engine's programmatic surface (re-exported by runtime/index.ts): it imports neither store's callers nor
// triggers/ or api/ (runtime/services.ts composes those).

export {
  ApprovalDecision,
  cancelRun,
  decideApproval,
  retryRun,
  type StartRunOptions,
  startRun,
} from './engine.ts';
export { idempotencyKeyFor } from './idempotency-key.ts';
export type { NodeRunnerDeps } from './node-runner.ts';
export { MAX_RETRY_FAILED, RetryFailedResult, retryFailedRuns } from './retry-failed-runs.ts';
export { DEFAULT_SANDBOX_LIMITS, runSandboxedCode, type SandboxLimits } from './sandbox.ts';
export {
  type EngineWorker,
  type EngineWorkerOptions,
  startEngineWorker,
  sweepDeadWorkers,
} from './worker.ts';
