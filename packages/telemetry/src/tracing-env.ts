/**
 * Which exporters the standard OpenTelemetry variables ask for. Tracing is on only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or its traces-only twin) or `OTEL_TRACES_EXPORTER` is set, and
 * not turned off by `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`. The exporter, sampler
 * and resource read the rest of the `OTEL_*` variables themselves.
 */
export type TraceExporterName = 'otlp' | 'console';

export interface TracingSettings {
  exporters: TraceExporterName[];
  /** Instrument kafkajs too (`ZOCKET_OTEL_KAFKAJS=1`): the processor, never the API (see README). */
  kafkajs: boolean;
}

/** Every variable this package or the SDK it starts reads; deploy checks accept these names. */
export const TELEMETRY_ENV_NAMES = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_PROPAGATORS',
  'OTEL_LOG_LEVEL',
  'ZOCKET_OTEL_KAFKAJS',
] as const;

const TRUE = new Set(['1', 'true']);

/** The tracing the environment asks for, or undefined when tracing is off. */
export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings | undefined {
  if (TRUE.has((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase())) return undefined;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (named.length === 0 && !endpoint) return undefined;
  if (named.includes('none')) return undefined;
  const exporters = named.length === 0 ? ['otlp'] : named;
  const unknown = exporters.filter((e) => e !== 'otlp' && e !== 'console');
  if (unknown.length > 0) {
    throw new Error(
      `OTEL_TRACES_EXPORTER: unsupported ${unknown.join(', ')} (otlp, console, none)`,
    );
  }
  return {
    exporters: exporters as TraceExporterName[],
    kafkajs: TRUE.has((env.ZOCKET_OTEL_KAFKAJS ?? '').trim().toLowerCase()),
  };
}
