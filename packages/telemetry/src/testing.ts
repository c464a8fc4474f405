import { randomBytes } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { registerGlobally } from './register-globally.js';

export type { ReadableSpan };

/** Spans recorded in memory by a provider registered for one test file. */
export interface SpanRecorder extends AsyncDisposable {
  /** Every span ended so far. */
  spans(): ReadableSpan[];
  /** Forgets the spans recorded so far. */
  reset(): void;
  /** Unregisters the provider (and the context manager and propagator it installed). */
  stop(): Promise<void>;
}

/**
 * Registers a global tracer provider that keeps ended spans in memory, with the AsyncLocalStorage
 * context manager and the W3C propagator, as the register entry does. For tests: nothing is
 * patched (the services' own spans, @hono/otel's and the consumer's are manual).
 */
export function recordSpans(): SpanRecorder {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  registerGlobally(provider);
  const stop = async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  };
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** A random W3C id in hex: 16 bytes for a trace id, 8 for a span id (for a test's traceparent). */
export function randomHexId(bytes: 8 | 16): string {
  return randomBytes(bytes).toString('hex');
}
