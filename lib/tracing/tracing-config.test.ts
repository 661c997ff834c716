import { describe, expect, it } from 'vitest';
import { parseTracingConfig } from './tracing.ts';

describe('tracing configuration (standard OTEL_* variables)', () => {
  it('is off without an OTLP endpoint, with OTEL_SDK_DISABLED=true and with OTEL_TRACES_EXPORTER=none', () => {
    expect(parseTracingConfig({})).toBeUndefined();
    expect(parseTracingConfig({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(parseTracingConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(parseTracingConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint as given, as service velocitymesh', () => {
    expect(
      parseTracingConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-team=ops,authorization=Bearer%20abc',
      }),
    ).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: { 'x-team': 'ops', authorization: 'Bearer abc' },
      serviceName: 'velocitymesh',
      scheduledDelayMillis: undefined,
    });
    expect(
      parseTracingConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp',
        OTEL_SERVICE_NAME: 'vm-eu',
      }),
    ).toMatchObject({ url: 'https://traces.example.com/otlp', serviceName: 'vm-eu' });
  });

  it('refuses an endpoint that is not a URL, naming the variable', () => {
    expect(() => parseTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318 ' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});
