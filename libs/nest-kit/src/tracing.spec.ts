import { trace } from '@opentelemetry/api';
import { messagingTracer } from '@hoso/messaging';
import { startTracing, tracingActive, tracingSettings } from './tracing';

describe('tracingSettings: which OTEL_* variables turn tracing on', () => {
  it('is off by default, and with an explicit none or OTEL_SDK_DISABLED', () => {
    expect(tracingSettings({})).toEqual({ exporters: [] });
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'intake', OTEL_TRACES_SAMPLER: 'always_on' })).toEqual({
      exporters: [],
    });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({
      exporters: [],
    });
    expect(tracingSettings({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ exporters: [] });
  });

  it('turns OTLP on with an endpoint, and takes the exporters OTEL_TRACES_EXPORTER names', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ exporters: ['otlp'] });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toEqual({
      exporters: ['otlp'],
    });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'console' })).toEqual({ exporters: ['console'] });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: ' otlp, console ,otlp', OTEL_SDK_DISABLED: 'false' })).toEqual({
      exporters: ['otlp', 'console'],
    });
  });

  it('fails the start on an exporter or an OTLP protocol this build does not have', () => {
    expect(() => tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/zipkin/);
    expect(() =>
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    ).toThrow(/grpc/);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toEqual({
      exporters: ['otlp'],
    });
  });
});

describe('startTracing with tracing off', () => {
  it('starts nothing: no provider, no messaging spans', () => {
    expect(startTracing('intake', { env: {} })).toBeNull();
    expect(tracingActive()).toBe(false);
    expect(messagingTracer()).toBeNull();
    expect(trace.getTracer('x').startSpan('y').isRecording()).toBe(false);
  });
});
