import cluster from 'node:cluster';
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';

/** Asks the cluster primary for every worker's metrics, summed (see cluster-primary.ts). */
export const METRICS_REQUEST = 'zocket:metrics?';
export const METRICS_RESPONSE = 'zocket:metrics';

let requests = 0;
function clusterMetrics(): Promise<string> {
  const id = requests++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the cluster primary did not answer with metrics'));
    }, 5_000);
    const onMessage = (message: { type?: string; id?: number; text?: string; error?: string }) => {
      if (message?.type !== METRICS_RESPONSE || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.text ?? '');
    };
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQUEST, id });
  });
}

/** The API's metrics, on a registry of its own (so tests can build several apps). */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (cluster.isWorker) {
    // Answer the primary's aggregation requests with this registry.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries(registry);
  }
  return {
    registry,
    /** The exposition text: this process's, or every worker's summed when run in a cluster. */
    render: (): Promise<string> => (cluster.isWorker ? clusterMetrics() : registry.metrics()),
    httpRequests: new Counter({
      name: 'zocket_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'zocket_http_request_duration_seconds',
      help: 'HTTP request latency by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    cache: new Counter({
      name: 'zocket_cache_operations_total',
      help: 'Product cache results: hit, miss, fill, fill_skipped (raced a write), error, invalidate',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'zocket_outbox_published_total',
      help: 'Outbox rows published to Kafka',
      registers: [registry],
    }),
    outboxPublishFailures: new Counter({
      name: 'zocket_outbox_publish_failures_total',
      help: 'Failed attempts to publish an outbox batch',
      registers: [registry],
    }),
    outboxBacklog: new Gauge({
      name: 'zocket_outbox_backlog',
      help: 'Unpublished outbox rows',
      // Every worker reads the same table: across workers it is one figure, not a sum.
      aggregator: 'max',
      registers: [registry],
    }),
    liveSubscriptions: new Gauge({
      name: 'zocket_live_subscriptions',
      help: 'Open products.onChange subscriptions',
      registers: [registry],
    }),
    liveDoorbells: new Counter({
      name: 'zocket_live_doorbells_total',
      help: 'Product-changed doorbells received from Redis',
      registers: [registry],
    }),
    outboxOldestAge: new Gauge({
      name: 'zocket_outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox row',
      aggregator: 'max',
      registers: [registry],
    }),
    bulkDispatched: new Counter({
      name: 'zocket_bulk_items_dispatched_total',
      help: 'Bulk job items written to the outbox for the bulk lane',
      registers: [registry],
    }),
    bulkInFlight: new Gauge({
      name: 'zocket_bulk_in_flight',
      help: 'Items of the active bulk job dispatched and not finished (seen by this dispatcher)',
      registers: [registry],
    }),
    bulkLiveLag: new Gauge({
      name: 'zocket_bulk_dispatcher_live_lag',
      help: 'Lag of the live consumer group on image-jobs, as the bulk dispatcher last read it',
      registers: [registry],
    }),
    bulkHolds: new Counter({
      name: 'zocket_bulk_dispatcher_holds_total',
      help: 'Dispatcher ticks that held back: live lag over the threshold, or the window full',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    bulkItemsExpired: new Counter({
      name: 'zocket_bulk_items_expired_total',
      help: 'Bulk items marked failed after BULK_ITEM_TIMEOUT_SECONDS without an outcome',
      registers: [registry],
    }),
    bulkCommands: new Counter({
      name: 'zocket_bulk_commands_total',
      help: 'image-bulk-commands events: applied, duplicate, rejected (to DLQ), invalid (to DLQ)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}
export type ApiMetrics = ReturnType<typeof createApiMetrics>;
