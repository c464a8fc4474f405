/**
 * `node --import @zocket/telemetry/register dist/main.js`: starts tracing before the service's
 * modules load, when the standard OTEL_* variables ask for it (see tracing-env.ts). Otherwise it
 * registers nothing, not even the loader hook, so a service without tracing pays nothing.
 *
 * This is a process bootstrap, like main.ts: it is the one place of this package that reads
 * process.env.
 */
import { register } from 'node:module';
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { tracingSettings } from './tracing-env.js';

const env = process.env;
const settings = tracingSettings(env);
if (settings !== undefined) {
  const level = env.OTEL_LOG_LEVEL?.toUpperCase();
  if (level !== undefined && level in DiagLogLevel) {
    diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[level as keyof typeof DiagLogLevel]);
  }
  // The services are ES modules: without this loader hook, only the CommonJS libraries loaded
  // through require (pg) are patched, and ioredis, kafkajs and the HTTP server spans are missing.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTracing } = await import('./provider.js');
  startTracing(settings);
}
