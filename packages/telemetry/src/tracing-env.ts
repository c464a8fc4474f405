/**
 * What the standard OpenTelemetry variables ask for. Tracing is on only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or its traces-only twin) or `OTEL_TRACES_EXPORTER` is set, and
 * not turned off by `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`. The sampler and the
 * batch processor's settings are read here too, because the trace SDK (3.x) no longer reads
 * them; the exporter and the resource detector still read their own variables.
 */
export type TraceExporterName = 'otlp' | 'console';

/** The `OTEL_TRACES_SAMPLER` values the SDK used to accept. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface SamplerSettings {
  name: SamplerName;
  /** The sampled fraction of root traces, from `OTEL_TRACES_SAMPLER_ARG` (ratio samplers only). */
  ratio: number;
}

/** The batch span processor's options, from the `OTEL_BSP_*` variables. */
export interface BatchSettings {
  scheduledDelayMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  exportTimeoutMillis: number;
}

export interface TracingSettings {
  exporters: TraceExporterName[];
  /** Instrument kafkajs too (`ZOCKET_OTEL_KAFKAJS=1`): the processor, never the API (docs/tracing.md). */
  kafkajs: boolean;
  sampler: SamplerSettings;
  batch: BatchSettings;
}

/** A tracing variable whose value cannot be used; the bootstrap refuses to start with it. */
export class TracingEnvError extends Error {
  override readonly name = 'TracingEnvError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
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
    throw new TracingEnvError(
      'OTEL_TRACES_EXPORTER',
      `unsupported ${unknown.join(', ')} (otlp, console, none)`,
    );
  }
  return {
    exporters: exporters as TraceExporterName[],
    kafkajs: TRUE.has((env.ZOCKET_OTEL_KAFKAJS ?? '').trim().toLowerCase()),
    sampler: samplerSettings(env),
    batch: batchSettings(env),
  };
}

/** A variable's value, or undefined when it is unset or blank (as the SDK treated blanks). */
function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function isSamplerName(name: string): name is SamplerName {
  return (SAMPLER_NAMES as readonly string[]).includes(name);
}

/**
 * `OTEL_TRACES_SAMPLER` and `_ARG` with the SDK 2.x defaults (parent-based always-on; a ratio of
 * 1 when the argument is unset). A value the SDK would have logged and ignored is refused
 * instead, so a typo cannot silently export every trace.
 */
export function samplerSettings(env: NodeJS.ProcessEnv): SamplerSettings {
  const name = value(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  if (!isSamplerName(name)) {
    throw new TracingEnvError(
      'OTEL_TRACES_SAMPLER',
      `unsupported ${name} (${SAMPLER_NAMES.join(', ')})`,
    );
  }
  if (!name.endsWith('traceidratio')) return { name, ratio: 1 };
  const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (arg === undefined) return { name, ratio: 1 };
  const ratio = Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new TracingEnvError('OTEL_TRACES_SAMPLER_ARG', `${arg} is not a ratio between 0 and 1`);
  }
  return { name, ratio };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new TracingEnvError(name, `${raw} is not an integer >= ${min}`);
  }
  return n;
}

/** The `OTEL_BSP_*` variables with the specification's defaults (the SDK's own). */
export function batchSettings(env: NodeJS.ProcessEnv): BatchSettings {
  return {
    scheduledDelayMillis: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 0),
    maxQueueSize: integer(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1),
    maxExportBatchSize: integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1),
    exportTimeoutMillis: integer(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30000, 1),
  };
}
