import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  envBool,
  envCsv,
  oneLine,
  parseEnv,
  s3Settings,
  sharedEnvShape,
} from '../src/env-schema.js';

describe('environment parsing', () => {
  it('accepts only true, 1, false and 0 as booleans', () => {
    expect(envBool.parse('1')).toBe(true);
    expect(envBool.parse('false')).toBe(false);
    expect(envBool.safeParse('yes').success).toBe(false);
  });

  it('drops blanks from a comma-separated list', () => {
    expect(envCsv.parse(' a, ,b ')).toEqual(['a', 'b']);
  });

  it('names every bad variable in one error', () => {
    const schema = z.object({ A: envBool, B: envBool });
    expect(() => parseEnv(schema, { A: 'x', B: 'y' })).toThrow(/A[\s\S]*B/);
  });

  it('folds a configuration error into one line that names each variable', () => {
    const schema = z.object({ A: envBool, B: envBool });
    let message = '';
    try {
      parseEnv(schema, { A: 'x', B: 'y' });
    } catch (error) {
      message = (error as Error).message;
    }
    const line = oneLine(message);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^invalid configuration: .*\(at A\).*\(at B\)$/);
  });

  it('defaults the shared S3 settings to infra/local', () => {
    const e = parseEnv(z.object(sharedEnvShape), {});
    expect(s3Settings(e)).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      accessKeyId: 'zocket',
      secretAccessKey: 'zocketsecret',
      bucket: 'zocket',
      forcePathStyle: true,
    });
  });
});
