import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
} from '@opentelemetry/api';

/**
 * Headers that may carry a trace context: Kafka's as kafkajs delivers them (Buffers, strings, or
 * arrays of either), an outbox row's, or an HTTP request's as node gives them (lower-case names).
 */
export type CarrierHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** Reads W3C headers whatever form their values came in. */
const headerGetter: TextMapGetter<CarrierHeaders> = {
  get(carrier, key) {
    const value = carrier[key] ?? carrier[key.toLowerCase()];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
  keys: (carrier) => Object.keys(carrier),
};

/**
 * The active trace context as headers (`traceparent`, and `tracestate` when there is one), to
 * carry it through the outbox and Kafka. Empty when there is no active span or tracing is off.
 */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers);
  return headers;
}

/** The trace context the headers carry (the root context when there is none). */
export function contextFromHeaders(headers: CarrierHeaders | undefined): Context {
  if (headers === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}
