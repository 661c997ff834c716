import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { installTraceContext } from './context-manager.ts';
import {
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  type TraceParent,
} from './traceparent.ts';
import { tracer, tracingEnabled, withChosenIds } from './tracing.ts';

/*
 * What spans hold: ids, names of workflows and steps, node types, attempts, HTTP methods, hosts, ports, route patterns
 * and status codes, error codes. Never headers, URLs with their paths or queries (tokens live there), bodies,
 * inputs, outputs or error messages.
 */

/** A run's trace as its row stores it: its own span (`traceparent`) and the span it was started under. */
export type RunTrace = { traceparent: string | null; traceParentId: string | null };

function spanContextOf(parent: TraceParent, sampled = parent.sampled) {
  return {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
}

/**
 * The trace a run started now belongs to: the active span's (a webhook request's), with a span id of its own.
 * Outside any trace it is undefined, and the run's row makes a new trace id (the runs.traceparent default).
 */
export function traceForNewRun(): RunTrace | undefined {
  const parent = trace.getSpanContext(context.active());
  if (!parent || !trace.isSpanContextValid(parent)) return undefined;
  return {
    traceparent: formatTraceparent({
      traceId: parent.traceId,
      spanId: newSpanId(),
      sampled: (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
    }),
    traceParentId: parent.spanId,
  };
}

/** The trace id (correlation id) of a run's traceparent. */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  return parseTraceparent(traceparent)?.traceId ?? null;
}

/**
 * Inside a run's span: a run started by nothing traced is a root, so it is sampled when tracing is on (its own
 * decision); a run under a caller's trace follows the caller's sampled flag.
 */
function runContext(run: RunTrace): Context | undefined {
  const parent = parseTraceparent(run.traceparent);
  if (!parent) return undefined;
  const sampled = run.traceParentId === null ? tracingEnabled() || parent.sampled : parent.sampled;
  return trace.setSpanContext(ROOT_CONTEXT, spanContextOf(parent, sampled));
}

function fail(span: Span, code: string): void {
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/** An error's code (AppError, ConnectorError, Node errors) or its class name: what a span may say about it. */
export function errorCodeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
    if (error instanceof Error) return error.name;
  }
  return 'Error';
}

export type StepSpan = {
  runId: string;
  workflowId: string;
  version: number;
  nodeId: string;
  uses: string;
  path: string;
  attempt: number;
};

/**
 * Runs one attempt of a step inside the run's trace: with tracing on as a span (child of the run's span), with
 * tracing off in the run's trace context only, so its outbound requests still carry the run's trace id.
 * FAILURE_OF names the error code of a result that is a failure.
 */
export function withStepSpan<T>(
  run: RunTrace,
  step: StepSpan,
  work: () => Promise<T>,
  failureOf: (result: T) => string | undefined,
): Promise<T> {
  installTraceContext();
  const parent = runContext(run);
  if (!parent) return work();
  if (!tracingEnabled()) return context.with(parent, work);
  const attributes: Attributes = {
    'vmesh.run.id': step.runId,
    'vmesh.workflow.id': step.workflowId,
    'vmesh.workflow.version': step.version,
    'vmesh.step.id': step.nodeId,
    'vmesh.step.uses': step.uses,
    'vmesh.step.attempt': step.attempt,
  };
  if (step.path) attributes['vmesh.step.path'] = step.path;
  const span = tracer().startSpan(`step ${step.nodeId}`, { kind: SpanKind.INTERNAL, attributes }, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      const result = await work();
      const failure = failureOf(result);
      if (failure) fail(span, failure);
      return result;
    } catch (error) {
      fail(span, errorCodeOf(error));
      throw error;
    } finally {
      span.end();
    }
  });
}

export type ClientSpan = {
  /** Sets the status the server answered. */
  answered(status: number): void;
  failed(error: unknown): void;
  end(): void;
  /** The traceparent the request carries: this span's (tracing on) or the active run's (tracing off), if any. */
  traceparent: string | undefined;
};

/**
 * One outbound HTTP request (one hop of a redirect chain) made by a step: a client span with the method, host,
 * port and scheme, and the traceparent its request carries.
 */
export function startClientSpan(method: string, url: URL): ClientSpan {
  const active = context.active();
  const span = tracingEnabled()
    ? tracer().startSpan(
        method,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'http.request.method': method,
            'server.address': url.hostname,
            'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
            'url.scheme': url.protocol.replace(/:$/, ''),
          },
        },
        active,
      )
    : undefined;
  const carried = span ? span.spanContext() : trace.getSpanContext(active);
  const traceparent =
    carried && trace.isSpanContextValid(carried)
      ? formatTraceparent({
          traceId: carried.traceId,
          spanId: carried.spanId,
          sampled: (carried.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
        })
      : undefined;
  return {
    traceparent,
    answered(status) {
      span?.setAttribute('http.response.status_code', status);
      if (span && status >= 400) fail(span, String(status));
    },
    failed(error) {
      if (span) fail(span, errorCodeOf(error));
    },
    end() {
      span?.end();
    },
  };
}

export type InboundSpan = {
  /** Where the request's work runs: runs it starts join this trace. */
  context: Context;
  traceId: string | undefined;
  end(status: number): void;
};

/**
 * An inbound request that may start runs (a webhook): its `traceparent`, when valid, is the parent; with tracing on
 * a server span named by the route pattern, never the URL (a hook's path can hold its secret).
 */
export function startInboundSpan(request: {
  method: string;
  route: string;
  traceparent: unknown;
}): InboundSpan {
  installTraceContext();
  const inbound = parseTraceparent(request.traceparent);
  if (!tracingEnabled()) {
    // Untraced, the request still gets a trace id (the sender's, or a new one): its access line and its runs share it.
    const own = inbound ?? { traceId: newTraceId(), spanId: newSpanId(), sampled: false };
    return {
      context: trace.setSpanContext(ROOT_CONTEXT, spanContextOf(own)),
      traceId: own.traceId,
      end: () => {},
    };
  }
  const parent = inbound ? trace.setSpanContext(ROOT_CONTEXT, spanContextOf(inbound)) : ROOT_CONTEXT;
  const span = tracer().startSpan(
    `${request.method} ${request.route}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'http.route': request.route },
    },
    parent,
  );
  let ended = false;
  return {
    context: trace.setSpan(parent, span),
    traceId: span.spanContext().traceId,
    end(status) {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) fail(span, String(status));
      span.end();
    },
  };
}

export type FinishedRun = RunTrace & {
  runId: string;
  workflowId: string;
  version: number;
  triggerType: string;
  status: string;
  errorCode: string | null;
  startedAt: Date;
  finishedAt: Date;
};

/**
 * Records a finished run's span, with the id its steps named as their parent, from when it was created to when
 * it finished. Only while tracing is on.
 */
export function recordRunSpan(run: FinishedRun): void {
  if (!tracingEnabled()) return;
  const own = parseTraceparent(run.traceparent);
  if (!own) return;
  const parent =
    run.traceParentId === null
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, spanContextOf({ ...own, spanId: run.traceParentId }));
  const span = withChosenIds({ traceId: own.traceId, spanId: own.spanId }, () =>
    tracer().startSpan(
      `run ${run.workflowId}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: run.startedAt,
        attributes: {
          'vmesh.run.id': run.runId,
          'vmesh.workflow.id': run.workflowId,
          'vmesh.workflow.version': run.version,
          'vmesh.run.trigger': run.triggerType,
          'vmesh.run.status': run.status,
        },
      },
      parent,
    ),
  );
  if (run.status === 'failed') fail(span, run.errorCode ?? 'E_RUN_FAILED');
  span.end(run.finishedAt);
}

const requestContexts = new WeakMap<object, InboundSpan>();

/** Keeps an inbound request's span with the request (startInboundSpan in a hook; the route reads it). */
export function bindInboundSpan(request: object, span: InboundSpan): void {
  requestContexts.set(request, span);
}

export function inboundSpanOf(request: object): InboundSpan | undefined {
  return requestContexts.get(request);
}

/** Runs WORK in REQUEST's trace (the webhook's span), so the runs it starts belong to it. */
export function withRequestTrace<T>(request: object, work: () => Promise<T>): Promise<T> {
  const inbound = requestContexts.get(request);
  return inbound ? context.with(inbound.context, work) : work();
}
