import {
  type Context,
  context,
  ProxyTracerProvider,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** The tracer the services' own spans come from (a no-op while tracing is off). */
export function zocketTracer(): Tracer {
  return trace.getTracer('zocket');
}

/**
 * Runs `fn` in a new active span that ends when it settles; a thrown error is recorded on the
 * span (status ERROR) and rethrown.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return zocketTracer().startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The provider behind the API's global proxy, if one was registered. */
function registeredProvider(): object | undefined {
  const global = trace.getTracerProvider();
  const delegate = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  // A proxy with no delegate answers the API's no-op provider (one shared instance).
  return delegate === new ProxyTracerProvider().getDelegate() ? undefined : delegate;
}

/** True when a tracer provider is registered (by the register entry or a test). */
export function tracingActive(): boolean {
  return registeredProvider() !== undefined;
}

const FLUSH_TIMEOUT_MS = 5_000;

/**
 * Exports the spans still buffered. Services call it last in `stop()`, because main.ts exits
 * explicitly and the batch processor would lose its last batch. Bounded, so an unreachable
 * collector cannot hold a shutdown up; a no-op when tracing is off.
 */
export async function flushTracing(): Promise<void> {
  const provider = registeredProvider() as { forceFlush?: () => Promise<void> } | undefined;
  if (typeof provider?.forceFlush !== 'function') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    provider.forceFlush().catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
