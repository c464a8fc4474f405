import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventJsonSchemas } from '../src/json-schemas.js';
import { TOPICS } from '../src/topics.js';

const root = join(import.meta.dirname, '..');

describe('event JSON Schemas', () => {
  it('are committed and up to date (run `npm run schemas -w @zocket/contracts`)', () => {
    for (const [name, schema] of Object.entries(eventJsonSchemas())) {
      const committed = JSON.parse(
        readFileSync(join(root, 'schemas', `${name}.schema.json`), 'utf8'),
      );
      expect(committed).toEqual(schema);
    }
  });

  it('describe the job event fields a producer must send', () => {
    const schema = eventJsonSchemas()['image-job.v1'] as { required: string[] };
    expect(schema.required).toEqual(
      expect.arrayContaining(['type', 'version', 'jobId', 'productId', 'imageId', 'source']),
    );
  });
});

describe('topics', () => {
  it('match the topics infra/local creates', () => {
    const lines = readFileSync(join(root, '..', '..', 'infra', 'kafka', 'topics.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const names = lines.map((l) => l.split(/\s+/)[0]).sort();
    expect(names).toEqual(Object.values(TOPICS).sort());
  });
});
