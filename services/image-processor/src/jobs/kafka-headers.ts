import { HEADERS } from '@zocket/contracts';
import type { IHeaders } from 'kafkajs';

/** A header's first value as text (kafkajs gives Buffers, strings or arrays of them). */
export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Which delivery of a job this is (1 for the first). */
export function attemptOf(headers: IHeaders | undefined): number {
  const n = Number(headerValue(headers, HEADERS.attempts) ?? '1');
  return Number.isInteger(n) && n >= 1 ? n : 1;
}
