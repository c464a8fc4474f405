import { describe, expect, it } from 'vitest';
import { tracingSettings } from '../src/tracing-env.js';

describe('tracingSettings', () => {
  it('is off when no OTEL variable asks for traces', () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'zocket-api' })).toBeUndefined();
  });

  it('exports with OTLP when an endpoint is set', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      exporters: ['otlp'],
      kafkajs: false,
    });
    expect(
      tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }),
    ).toMatchObject({ exporters: ['otlp'] });
  });

  it('follows OTEL_TRACES_EXPORTER, where none turns tracing off', () => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'console' })?.exporters).toEqual(['console']);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp, console' })?.exporters).toEqual([
      'otlp',
      'console',
    ]);
    expect(
      tracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' }),
    ).toBeUndefined();
    expect(
      tracingSettings({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' }),
    ).toBeUndefined();
  });

  it('refuses an exporter it does not ship', () => {
    expect(() => tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/zipkin/);
  });

  it('instruments kafkajs only when ZOCKET_OTEL_KAFKAJS says so', () => {
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', ZOCKET_OTEL_KAFKAJS: '1' };
    expect(tracingSettings(on)?.kafkajs).toBe(true);
    expect(tracingSettings({ ...on, ZOCKET_OTEL_KAFKAJS: 'false' })?.kafkajs).toBe(false);
  });
});
