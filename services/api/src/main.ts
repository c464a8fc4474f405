import { createLogger, runUntilSignal } from '@zocket/service-kit';
import { createApi } from './api.js';
import { loadConfig } from './config.js';

const config = loadConfig(process.env);
const logger = createLogger('zocket-api', config.log.level);
const api = createApi(config, logger);

await runUntilSignal(api, logger);
