import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'zocket-api'): Logger {
  return pino({ name, level, base: { service: name } });
}
