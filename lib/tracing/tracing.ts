import { type Tracer, trace } from '@opentelemetry/api';
import type { BasicTracerProvider, IdGenerator } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { installTraceContext } from './context-manager.ts';
import { newSpanId, newTraceId } from './traceparent.ts';

const TRACER_NAME = 'velocitymesh';
const DEFAULT_SERVICE_NAME = 'velocitymesh';

/**
 * The standard OTEL_* variables this process reads. Tracing is on only with an OTLP endpoint, and off with
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none: by default nothing is exported to anyone.
 */
const TracingEnv = z.object({
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().positive().optional(),
});

export type TracingConfig = {
  /** Where spans go (OTLP/HTTP, JSON), e.g. http://collector:4318/v1/traces. */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
  scheduledDelayMillis: number | undefined;
};

/** The tracing configuration in ENV, or undefined when tracing is off. */
export function parseTracingConfig(env: NodeJS.ProcessEnv): TracingConfig | undefined {
  const blank = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = TracingEnv.safeParse(blank);
  if (!parsed.success) {
    throw new Error(
      `The OpenTelemetry settings are not valid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}. ` +
        'OTEL_EXPORTER_OTLP_ENDPOINT is a URL such as http://localhost:4318.',
    );
  }
  const vars = parsed.data;
  if (vars.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (vars.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return undefined;
  const url =
    vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (vars.OTEL_EXPORTER_OTLP_ENDPOINT && `${vars.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (!url) return undefined;
  return {
    url,
    headers: {
      ...parseHeaderList(vars.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseHeaderList(vars.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
    serviceName: vars.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME,
    scheduledDelayMillis: vars.OTEL_BSP_SCHEDULE_DELAY,
  };
}

/** `key=value,key2=value2`, values URL-encoded (the OTLP exporter spec). */
function parseHeaderList(list: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of (list ?? '').split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) continue;
    headers[item.slice(0, at).trim()] = decodeURIComponent(item.slice(at + 1).trim());
  }
  return headers;
}

/**
 * Span ids chosen ahead: a run's span is recorded when the run ends (by the process that sees it end), with the id
 * its steps (on any worker) already named as their parent. Everything else gets random ids.
 */
class ChosenIdGenerator implements IdGenerator {
  chosen: { traceId: string; spanId: string } | undefined;

  generateTraceId(): string {
    return this.chosen?.traceId ?? newTraceId();
  }

  generateSpanId(): string {
    return this.chosen?.spanId ?? newSpanId();
  }
}

type Active = { provider: BasicTracerProvider; tracer: Tracer; ids: ChosenIdGenerator };
let active: Active | undefined;

export function tracingEnabled(): boolean {
  return active !== undefined;
}

/** The tracer spans are made with: the SDK's while tracing is on, otherwise the API's no-op one. */
export function tracer(): Tracer {
  return active?.tracer ?? trace.getTracer(TRACER_NAME);
}

/** Runs START (a synchronous startSpan) so that the span it starts gets the ids given; only while tracing is on. */
export function withChosenIds<T>(ids: { traceId: string; spanId: string }, start: () => T): T {
  if (!active) return start();
  active.ids.chosen = ids;
  try {
    return start();
  } finally {
    active.ids.chosen = undefined;
  }
}

export type RunningTracing = { enabled: boolean; stop(): Promise<void> };

/**
 * Starts exporting spans over OTLP/HTTP when ENV names an endpoint (see parseTracingConfig); otherwise only the trace
 * context is carried (run ids and outbound traceparent), and nothing leaves the process. One tracing per process:
 * a second start while one runs shares it.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<RunningTracing> {
  installTraceContext();
  const config = parseTracingConfig(env);
  if (!config || active) return { enabled: active !== undefined, stop: async () => {} };
  // The SDK and the exporter are loaded only when tracing is on.
  const [
    { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler },
    { OTLPTraceExporter },
    { resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  if (active) return { enabled: true, stop: async () => {} };
  const ids = new ChosenIdGenerator();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    idGenerator: ids,
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: config.url, headers: config.headers }),
        config.scheduledDelayMillis === undefined
          ? {}
          : { scheduledDelayMillis: config.scheduledDelayMillis },
      ),
    ],
  });
  const started: Active = { provider, tracer: provider.getTracer(TRACER_NAME), ids };
  active = started;
  return {
    enabled: true,
    async stop() {
      if (active === started) active = undefined;
      await provider.shutdown().catch(() => {});
    },
  };
}
