import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

describe('createLogger', () => {
  it('puts the service name on every line', () => {
    const lines: string[] = [];
    const logger = createLogger('zocket-test', 'info', { write: (line) => lines.push(line) });
    logger.info('hello');
    logger.child({ jobId: 'j1' }).warn('again');
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { service: 'zocket-test', msg: 'hello' },
      { service: 'zocket-test', msg: 'again', jobId: 'j1' },
    ]);
  });

  it('writes nothing below its level', () => {
    const lines: string[] = [];
    createLogger('zocket-test', 'silent', { write: (line) => lines.push(line) }).error('hidden');
    expect(lines).toEqual([]);
  });
});
