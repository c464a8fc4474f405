import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { SamplerSettings, TraceExporterName, TracingSettings } from './tracing-env.js';

function exporterFor(name: TraceExporterName): SpanExporter {
  // OTLPTraceExporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS and _TIMEOUT itself.
  return name === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter();
}

/** The sampler OTEL_TRACES_SAMPLER names, built as the trace SDK 2.x built it from the variable. */
export function samplerFor({ name, ratio }: SamplerSettings): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default: {
      const unknown: never = name;
      throw new Error(`unknown sampler ${String(unknown)}`);
    }
  }
}

/**
 * The tracer provider the settings describe: resource from OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES, the sampler, and one batch processor per exporter with the
 * OTEL_BSP_* options. `exporters` replaces the named exporters (tests pass their own).
 */
export function createTracerProvider(
  settings: Pick<TracingSettings, 'exporters' | 'sampler' | 'batch'>,
  exporters: SpanExporter[] = settings.exporters.map(exporterFor),
): TracerProvider {
  return new TracerProvider({
    resource: defaultResource().merge(detectResources({ detectors: [envDetector] })),
    sampler: samplerFor(settings.sampler),
    spanProcessors: exporters.map(
      (exporter) => new BatchSpanProcessor({ exporter, ...settings.batch }),
    ),
  });
}
