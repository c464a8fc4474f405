import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { registerGlobally } from './register-globally.js';
import { createTracerProvider } from './tracer-provider.js';
import type { TracingSettings } from './tracing-env.js';

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
 * Registers the global tracer provider the settings describe (sampler and batch options from
 * the OTEL_* variables, see tracing-env.ts), then the instrumentations.
 */
export function startTracing(settings: TracingSettings): TracerProvider {
  const provider = createTracerProvider(settings);
  registerGlobally(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: instrumentations(settings),
  });
  return provider;
}
