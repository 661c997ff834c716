import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';

/** One span as an OTLP collector decodes it: ids as hex, attributes as plain values. */
export type ReceivedSpan = {
  service: string | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code: number; message?: string | undefined };
  startNs: bigint;
  endNs: bigint;
};

const AnyValue = z.object({
  stringValue: z.string().optional(),
  intValue: z.union([z.string(), z.number()]).optional(),
  doubleValue: z.number().optional(),
  boolValue: z.boolean().optional(),
});
const KeyValues = z.array(z.object({ key: z.string(), value: AnyValue })).default([]);
const Span = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  name: z.string(),
  kind: z.number(),
  startTimeUnixNano: z.union([z.string(), z.number()]),
  endTimeUnixNano: z.union([z.string(), z.number()]),
  attributes: KeyValues,
  status: z.object({ code: z.number().default(0), message: z.string().optional() }).default({ code: 0 }),
});
/** ExportTraceServiceRequest in the OTLP/HTTP JSON encoding (opentelemetry-proto, trace_service.proto). */
const ExportTraceServiceRequest = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes: KeyValues }).default({ attributes: [] }),
      scopeSpans: z.array(z.object({ spans: z.array(Span).default([]) })).default([]),
    }),
  ),
});

/** OTLP/JSON ids are hex; a base64 id (the protobuf JSON mapping) is turned into hex too. */
function toHex(id: string): string {
  return /^[0-9a-f]*$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex');
}

function plain(values: z.infer<typeof KeyValues>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of values) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

export type OtlpReceiver = {
  url: string;
  spans: ReceivedSpan[];
  /** Every request that reached it (path, content type), decoded or not. */
  requests: { path: string; contentType: string | undefined; headers: IncomingHttpHeaders }[];
  /** Requests it could not decode (a wrong encoding fails the test that reads this). */
  errors: string[];
  close(): Promise<void>;
};

/** A local OTLP/HTTP trace receiver (POST /v1/traces, JSON), as a collector would take the exporter's requests. */
export async function startOtlpReceiver(options: { port?: number } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const errors: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const contentType = request.headers['content-type'];
      requests.push({ path: request.url ?? '', contentType, headers: request.headers });
      try {
        if (request.method !== 'POST' || request.url !== '/v1/traces')
          throw new Error(`unexpected ${request.url}`);
        if (!contentType?.startsWith('application/json')) throw new Error(`not OTLP/JSON: ${contentType}`);
        let body = Buffer.concat(chunks);
        if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const decoded = ExportTraceServiceRequest.parse(JSON.parse(body.toString('utf8')));
        for (const resource of decoded.resourceSpans) {
          const service = plain(resource.resource.attributes)['service.name'];
          for (const scope of resource.scopeSpans) {
            for (const span of scope.spans) {
              spans.push({
                service: typeof service === 'string' ? service : undefined,
                traceId: toHex(span.traceId),
                spanId: toHex(span.spanId),
                parentSpanId: span.parentSpanId ? toHex(span.parentSpanId) : undefined,
                name: span.name,
                kind: span.kind,
                attributes: plain(span.attributes),
                status: span.status,
                startNs: BigInt(span.startTimeUnixNano),
                endNs: BigInt(span.endTimeUnixNano),
              });
            }
          }
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    errors,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
