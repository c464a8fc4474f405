import cluster from 'node:cluster';
import { createLogger, loadConfigOrExit, runUntilSignal } from '@zocket/service-kit';
import { createApi } from './api.js';
import { runClusterPrimary } from './cluster-primary.js';
import { loadConfig } from './config.js';

const config = loadConfigOrExit('zocket-api', () => loadConfig(process.env));
const logger = createLogger('zocket-api', config.log.level);

if (cluster.isPrimary && config.http.workers > 1) {
  runClusterPrimary(config.http.workers, logger);
} else {
  const api = createApi(config, logger);
  await runUntilSignal(api, logger);
}
