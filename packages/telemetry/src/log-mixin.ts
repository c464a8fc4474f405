import { isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * A pino `mixin`: the active span's `trace_id` and `span_id` on every log line written inside a
 * trace, so logs and traces can be joined. Nothing is added outside a trace or with tracing off.
 */
export function traceLogFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return isSpanContextValid(span.spanContext()) ? { trace_id: traceId, span_id: spanId } : {};
}
