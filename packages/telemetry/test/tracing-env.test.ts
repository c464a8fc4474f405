import { describe, expect, it } from 'vitest';
import { TracingEnvError, tracingSettings } from '../src/tracing-env.js';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

describe('tracingSettings', () => {
  it('is off when no OTEL variable asks for traces', () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'zocket-api' })).toBeUndefined();
  });

  it('exports with OTLP when an endpoint is set, with the SDK 2.x sampler and batch defaults', () => {
    expect(tracingSettings(ENDPOINT)).toEqual({
      exporters: ['otlp'],
      kafkajs: false,
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      batch: {
        scheduledDelayMillis: 5000,
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        exportTimeoutMillis: 30000,
      },
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
    expect(() => tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(TracingEnvError);
    expect(() => tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/zipkin/);
  });

  it('reads OTEL_TRACES_SAMPLER and its ratio argument', () => {
    const sampler = (env: Record<string, string>) =>
      tracingSettings({ ...ENDPOINT, ...env })?.sampler;
    expect(sampler({ OTEL_TRACES_SAMPLER: 'always_off' })).toEqual({
      name: 'always_off',
      ratio: 1,
    });
    expect(
      sampler({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }),
    ).toEqual({ name: 'parentbased_traceidratio', ratio: 0.1 });
    expect(
      sampler({ OTEL_TRACES_SAMPLER: ' TraceIdRatio ', OTEL_TRACES_SAMPLER_ARG: '0' }),
    ).toEqual({ name: 'traceidratio', ratio: 0 });
    // The specification's default ratio, and the argument ignored by a sampler that takes none.
    expect(sampler({ OTEL_TRACES_SAMPLER: 'traceidratio' })).toEqual({
      name: 'traceidratio',
      ratio: 1,
    });
    expect(sampler({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'x' })).toEqual({
      name: 'always_on',
      ratio: 1,
    });
    // A blank variable is unset, as the SDK read it.
    expect(sampler({ OTEL_TRACES_SAMPLER: ' ' })).toEqual({
      name: 'parentbased_always_on',
      ratio: 1,
    });
  });

  it('refuses a sampler it does not know and a ratio outside 0..1', () => {
    const settings = (env: Record<string, string>) => () =>
      tracingSettings({ ...ENDPOINT, ...env });
    expect(settings({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(/OTEL_TRACES_SAMPLER: /);
    for (const arg of ['1.5', '-0.1', '10%', 'NaN']) {
      expect(
        settings({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: arg }),
      ).toThrow(TracingEnvError);
    }
  });

  it('reads the OTEL_BSP_* variables of the batch span processor', () => {
    expect(
      tracingSettings({
        ...ENDPOINT,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
        OTEL_BSP_EXPORT_TIMEOUT: '1000',
      })?.batch,
    ).toEqual({
      scheduledDelayMillis: 200,
      maxQueueSize: 100,
      maxExportBatchSize: 10,
      exportTimeoutMillis: 1000,
    });
    expect(tracingSettings({ ...ENDPOINT, OTEL_BSP_SCHEDULE_DELAY: '0' })?.batch).toMatchObject({
      scheduledDelayMillis: 0,
    });
  });

  it('refuses an OTEL_BSP_* value that is not a usable integer', () => {
    for (const [name, raw] of [
      ['OTEL_BSP_SCHEDULE_DELAY', '5s'],
      ['OTEL_BSP_SCHEDULE_DELAY', '-1'],
      ['OTEL_BSP_MAX_QUEUE_SIZE', '0'],
      ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '2.5'],
      ['OTEL_BSP_EXPORT_TIMEOUT', '0'],
    ] as const) {
      expect(() => tracingSettings({ ...ENDPOINT, [name]: raw }), `${name}=${raw}`).toThrow(
        new RegExp(`^${name}: `),
      );
    }
  });

  it('instruments kafkajs only when ZOCKET_OTEL_KAFKAJS says so', () => {
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', ZOCKET_OTEL_KAFKAJS: '1' };
    expect(tracingSettings(on)?.kafkajs).toBe(true);
    expect(tracingSettings({ ...on, ZOCKET_OTEL_KAFKAJS: 'false' })?.kafkajs).toBe(false);
  });
});
