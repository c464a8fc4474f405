import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import {
  type ExportResult,
  ExportResultCode,
  loggingErrorHandler,
  setGlobalErrorHandler,
} from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomHexId } from '../src/testing.js';
import { createTracerProvider } from '../src/tracer-provider.js';
import { type TracingSettings, tracingSettings } from '../src/tracing-env.js';

/** The settings the register entry would derive from these variables (tracing on). */
function settingsFrom(env: Record<string, string>): TracingSettings {
  const settings = tracingSettings({ OTEL_TRACES_EXPORTER: 'console', ...env });
  if (settings === undefined) throw new Error('tracing is off');
  return settings;
}

/** An exporter that keeps each batch it is given; `hold` leaves the exports unanswered. */
function recordingExporter() {
  const batches: ReadableSpan[][] = [];
  const pending: ((result: ExportResult) => void)[] = [];
  let hold = false;
  const exporter: SpanExporter = {
    export(spans, done) {
      batches.push(spans);
      if (hold) pending.push(done);
      else done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => {},
  };
  return {
    exporter,
    sizes: () => batches.map((b) => b.length),
    hold: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      for (const done of pending.splice(0)) done({ code: ExportResultCode.SUCCESS });
    },
  };
}

function remoteParent(sampled: boolean): SpanContext {
  return {
    traceId: randomHexId(16),
    spanId: randomHexId(8),
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('the sampler OTEL_TRACES_SAMPLER names', () => {
  /** Whether a span is sampled under this sampler: a root span, or the child of a remote parent. */
  function sampled(env: Record<string, string>, parent?: SpanContext): boolean {
    const provider = createTracerProvider(settingsFrom(env), []);
    const ctx = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
    const span = provider.getTracer('test').startSpan('s', {}, ctx);
    span.end();
    return (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
  }

  it('is parent-based always-on when unset, as the SDK 2.x default was', () => {
    expect(sampled({})).toBe(true);
    expect(sampled({}, remoteParent(true))).toBe(true);
    expect(sampled({}, remoteParent(false))).toBe(false);
  });

  it('samples a ratio of root traces and follows a sampled parent with parentbased_traceidratio', () => {
    const none = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
    expect(sampled(none)).toBe(false);
    expect(sampled(none, remoteParent(true))).toBe(true);
    const all = { ...none, OTEL_TRACES_SAMPLER_ARG: '1' };
    expect(sampled(all)).toBe(true);
    expect(sampled(all, remoteParent(false))).toBe(false);
  });

  it('ignores the parent with the samplers that are not parent-based', () => {
    expect(sampled({ OTEL_TRACES_SAMPLER: 'always_off' }, remoteParent(true))).toBe(false);
    expect(sampled({ OTEL_TRACES_SAMPLER: 'always_on' }, remoteParent(false))).toBe(true);
    const ratio = { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
    expect(sampled(ratio, remoteParent(true))).toBe(false);
  });

  it('drops root traces and follows a sampled parent with parentbased_always_off', () => {
    const off = { OTEL_TRACES_SAMPLER: 'parentbased_always_off' };
    expect(sampled(off)).toBe(false);
    expect(sampled(off, remoteParent(true))).toBe(true);
  });
});

describe('the batch span processor under the OTEL_BSP_* variables', () => {
  const env = {
    OTEL_BSP_SCHEDULE_DELAY: '1000',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
    OTEL_BSP_MAX_QUEUE_SIZE: '4',
    OTEL_BSP_EXPORT_TIMEOUT: '500',
  };

  it('exports after the schedule delay, in batches no larger than the batch size', async () => {
    vi.useFakeTimers();
    const recorder = recordingExporter();
    const provider = createTracerProvider(settingsFrom(env), [recorder.exporter]);
    const tracer = provider.getTracer('test');
    tracer.startSpan('first').end();
    await vi.advanceTimersByTimeAsync(999);
    expect(recorder.sizes()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(recorder.sizes()).toEqual([1]);

    for (let i = 0; i < 5; i++) tracer.startSpan(`span ${i}`).end();
    await provider.forceFlush();
    const later = recorder.sizes().slice(1);
    expect(Math.max(...later)).toBe(2);
    expect(later.reduce((a, b) => a + b, 0)).toBe(5);
    await provider.shutdown();
  });

  it('drops spans beyond the queue size while an export is in flight', async () => {
    vi.useFakeTimers();
    const recorder = recordingExporter();
    const provider = createTracerProvider(
      settingsFrom({ ...env, OTEL_BSP_EXPORT_TIMEOUT: '60000' }),
      [recorder.exporter],
    );
    const tracer = provider.getTracer('test');
    recorder.hold();
    tracer.startSpan('held').end();
    await vi.advanceTimersByTimeAsync(1000);
    expect(recorder.sizes()).toEqual([1]);
    for (let i = 0; i < 6; i++) tracer.startSpan(`queued ${i}`).end();
    recorder.release();
    await provider.forceFlush();
    const exported = recorder.sizes().reduce((a, b) => a + b, 0);
    // The held span, then the queue's 4: two of the six found the queue full.
    expect(exported).toBe(5);
    await provider.shutdown();
  });

  it('gives up on an export after the export timeout', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    setGlobalErrorHandler((error) => errors.push(error));
    try {
      const recorder = recordingExporter();
      const provider = createTracerProvider(settingsFrom(env), [recorder.exporter]);
      recorder.hold();
      provider.getTracer('test').startSpan('stuck').end();
      await vi.advanceTimersByTimeAsync(1000);
      expect(recorder.sizes()).toEqual([1]);
      await vi.advanceTimersByTimeAsync(499);
      expect(errors).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(errors).toEqual([expect.objectContaining({ message: 'Timeout' })]);
      recorder.release();
    } finally {
      setGlobalErrorHandler(loggingErrorHandler());
    }
  });
});

describe('what the SDK still reads itself', () => {
  it('names the service from OTEL_SERVICE_NAME and adds OTEL_RESOURCE_ATTRIBUTES', () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'zocket-test');
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=test');
    const provider = createTracerProvider(settingsFrom({}), []);
    const span = provider.getTracer('test').startSpan('s') as unknown as ReadableSpan;
    expect(span.resource.attributes).toMatchObject({
      'service.name': 'zocket-test',
      'deployment.environment': 'test',
    });
  });

  it('sends OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const requests: { url: string | undefined; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      requests.push({ url: req.url, headers: req.headers });
      req.resume().on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
      vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-api-key=secret-key');
      const settings = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
      expect(settings?.exporters).toEqual(['otlp']);
      const provider = createTracerProvider(settings as TracingSettings);
      provider.getTracer('test').startSpan('exported').end();
      await provider.forceFlush();
      expect(requests).toEqual([
        { url: '/v1/traces', headers: expect.objectContaining({ 'x-api-key': 'secret-key' }) },
      ]);
      await provider.shutdown();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
