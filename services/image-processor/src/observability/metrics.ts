import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type JobOutcome = 'ready' | 'failed' | 'retried' | 'stale' | 'invalid';

/** The processor's metrics, on a registry of its own (so tests can run several processors). */
export function createProcessorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    jobs: new Counter({
      name: 'zocket_image_jobs_total',
      help: 'Image jobs by outcome: ready, failed, retried, stale (superseded), invalid (to DLQ)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    groupJoins: new Counter({
      name: 'zocket_kafka_group_joins_total',
      help: 'Times a lane joined its consumer group: one per rebalance it took part in (a member evicted for a missed session, a member added or gone)',
      labelNames: ['lane'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'zocket_image_job_duration_seconds',
      help: 'Time to handle one image job, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
    bytesIn: new Counter({
      name: 'zocket_image_bytes_in_total',
      help: 'Source bytes fetched',
      registers: [registry],
    }),
    bytesOut: new Counter({
      name: 'zocket_image_bytes_out_total',
      help: 'Variant bytes written to S3',
      labelNames: ['format'] as const,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'zocket_image_job_retries_total',
      help: 'Jobs sent to the retry topic',
      registers: [registry],
    }),
    dlq: new Counter({
      name: 'zocket_image_job_dlq_total',
      help: 'Jobs copied to the dead-letter topic, by failure code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    renditions: new Counter({
      name: 'zocket_image_renditions_total',
      help: 'Rendition lookups: hit (stored variants reused), miss (rendered), shared (waited for a render in flight)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    bulkItems: new Counter({
      name: 'zocket_bulk_items_total',
      help: 'Bulk job items recorded, by outcome: succeeded, failed, skipped, cancelled',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    dependencyPaused: new Gauge({
      name: 'zocket_processor_dependency_paused',
      help: '1 while consuming is paused because this dependency (postgres, s3, redis) is down',
      labelNames: ['dependency'] as const,
      registers: [registry],
    }),
    dependencyOverLimit: new Gauge({
      name: 'zocket_processor_dependency_outage_over_limit',
      help: '1 while a dependency outage has lasted longer than OUTAGE_ALERT_AFTER_MS (still waiting)',
      labelNames: ['dependency'] as const,
      registers: [registry],
    }),
    dependencyOutages: new Counter({
      name: 'zocket_processor_dependency_outages_total',
      help: 'Times consuming paused for a dependency outage',
      labelNames: ['dependency'] as const,
      registers: [registry],
    }),
    dependencyPausedSeconds: new Counter({
      name: 'zocket_processor_dependency_paused_seconds_total',
      help: 'Seconds consuming spent paused for a dependency outage (counted when it ends)',
      labelNames: ['dependency'] as const,
      registers: [registry],
    }),
  };
}
export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;
