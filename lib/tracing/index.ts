export { installTraceContext } from './context-manager.ts';
export {
  bindInboundSpan,
  type ClientSpan,
  errorCodeOf,
  type FinishedRun,
  type InboundSpan,
  inboundSpanOf,
  type RunTrace,
  recordRunSpan,
  type StepSpan,
  startClientSpan,
  startInboundSpan,
  traceForNewRun,
  traceIdOf,
  withRequestTrace,
  withStepSpan,
} from './spans.ts';
export {
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  type TraceParent,
} from './traceparent.ts';
export {
  parseTracingConfig,
  type RunningTracing,
  startTracing,
  type TracingConfig,
  tracingEnabled,
} from './tracing.ts';
