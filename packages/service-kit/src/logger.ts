import { pino } from 'pino';

export type Logger = pino.Logger;

/** Every line carries `service`, so the two services' logs can be told apart once merged. */
export function createLogger(
  service: string,
  level: string,
  destination?: pino.DestinationStream,
): Logger {
  const options = { name: service, level, base: { service } };
  return destination ? pino(options, destination) : pino(options);
}
