import { traceLogFields } from '@zocket/telemetry';
import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Every line carries `service`, so the two services' logs can be told apart once merged, and,
 * inside a trace, `trace_id` and `span_id`.
 */
export function createLogger(
  service: string,
  level: string,
  destination?: pino.DestinationStream,
): Logger {
  const options = { name: service, level, base: { service }, mixin: traceLogFields };
  return destination ? pino(options, destination) : pino(options);
}
