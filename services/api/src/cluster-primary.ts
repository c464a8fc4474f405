import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@zocket/service-kit';
import { AggregatorRegistry } from 'prom-client';
import { METRICS_REQUEST, METRICS_RESPONSE } from './observability/metrics.js';

/**
 * The cluster primary of `API_WORKERS` > 1: forks that many API processes sharing the port
 * (each with its HTTP server and outbox relay: the relay claims rows with SKIP LOCKED, so several
 * publish side by side), answers their /metrics with every worker's metrics summed, replaces a
 * worker that dies, and on SIGINT/SIGTERM stops them all and exits.
 */
export function runClusterPrimary(workers: number, logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;

  cluster.on('message', (worker: Worker, message: { type?: string; id?: number }) => {
    if (message?.type !== METRICS_REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: METRICS_RESPONSE, id: message.id, text }),
      (error: unknown) =>
        worker.send({ type: METRICS_RESPONSE, id: message.id, error: String(error) }),
    );
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'api worker exited; starting another');
    cluster.fork();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal, workers }, 'shutting down the workers');
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
    });
  }
  for (let i = 0; i < workers; i++) cluster.fork();
  logger.info({ workers }, 'api cluster started');
}
