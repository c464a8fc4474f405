import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
} from '@opentelemetry/api';

/** Kafka header values as kafkajs delivers them: Buffers, strings, or arrays of either. */
export type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** Reads W3C headers from Kafka headers, whatever form kafkajs gave their values in. */
const kafkaHeaderGetter: TextMapGetter<KafkaHeaders> = {
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

/**
 * The trace context carried in request headers as node gives them (lower-case names, string or
 * string[] values): the incoming `traceparent`, or the root context when there is none.
 */
export function contextFromHttpHeaders(
  headers: Record<string, string | string[] | undefined>,
): Context {
  return propagation.extract(ROOT_CONTEXT, headers, kafkaHeaderGetter);
}

/** The trace context carried in a message's headers (the root context when there is none). */
export function contextFromKafkaHeaders(headers: KafkaHeaders | undefined): Context {
  if (headers === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers, kafkaHeaderGetter);
}
