// The API's handful the services need, from the one @opentelemetry/api copy this package pins.
export {
  type Context,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
export { traceLogFields } from './log-mixin.js';
export {
  type CarrierHeaders,
  contextFromHeaders,
  traceHeaders,
} from './propagation.js';
export { flushTracing, inSpan, tracingActive, zocketTracer } from './spans.js';
export { TELEMETRY_ENV_NAMES, type TracingSettings, tracingSettings } from './tracing-env.js';
