import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, detectResources, envDetector } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import type { TracingSettings } from './tracing-env.js';

function exporterFor(name: TracingSettings['exporters'][number]): SpanExporter {
  // OTLPTraceExporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS and _TIMEOUT itself.
  return name === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter();
}

/** The instrumentations of the libraries the services use. */
export function instrumentations(settings: Pick<TracingSettings, 'kafkajs'>): Instrumentation[] {
  const list: Instrumentation[] = [
    // Server spans come from @hono/otel (named by route); this one only makes client spans, for
    // the AWS SDK's requests to S3 (it uses node:http) among others. Not `ignoreIncomingRequestHook`:
    // an ignored request runs with tracing suppressed, so it would have no spans at all.
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
    new UndiciInstrumentation(),
    // Only inside a trace: the outbox relay's and the janitors' polls would each be a trace.
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
  ];
  // The kafkajs instrumentation overwrites `traceparent` on every send: in the API that would put
  // the relay's context in place of the request's that the outbox row carries.
  if (settings.kafkajs) list.push(new KafkaJsInstrumentation());
  return list;
}

/**
 * Registers the global tracer provider (W3C trace context, the SDK's sampler from
 * OTEL_TRACES_SAMPLER/_ARG, parent-based always-on by default) and the instrumentations.
 */
export function startTracing(settings: TracingSettings): NodeTracerProvider {
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: settings.exporters.map((name) => new BatchSpanProcessor(exporterFor(name))),
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: instrumentations(settings),
  });
  return provider;
}
