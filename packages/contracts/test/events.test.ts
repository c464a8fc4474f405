import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseImageJobEvent, parseImageResultEvent } from '../src/events.js';

const validJob = () => ({
  type: 'image.job',
  version: 1,
  jobId: randomUUID(),
  productId: randomUUID(),
  imageId: randomUUID(),
  source: { kind: 'url', url: 'https://cdn.example.com/a.jpg' },
  reason: 'created',
  requestedAt: new Date().toISOString(),
});

describe('parseImageJobEvent', () => {
  it('accepts a valid v1 job from a Buffer', () => {
    const job = validJob();
    const result = parseImageJobEvent(Buffer.from(JSON.stringify(job)));
    expect(result).toEqual({ ok: true, value: job });
  });

  it('accepts an uploaded source', () => {
    const job = { ...validJob(), source: { kind: 'upload', key: 'uploads/p/i' } };
    expect(parseImageJobEvent(JSON.stringify(job)).ok).toBe(true);
  });

  it('rejects an empty message', () => {
    expect(parseImageJobEvent(null)).toEqual({ ok: false, error: 'empty message' });
  });

  it('rejects text that is not JSON', () => {
    expect(parseImageJobEvent('{not json')).toEqual({
      ok: false,
      error: 'message is not valid JSON',
    });
  });

  it('rejects an unknown version with the supported ones named', () => {
    const result = parseImageJobEvent(JSON.stringify({ ...validJob(), version: 2 }));
    expect(result).toEqual({
      ok: false,
      error: 'unsupported image.job version 2 (supported: 1)',
    });
  });

  it('rejects another event type', () => {
    const result = parseImageJobEvent(JSON.stringify({ ...validJob(), type: 'image.result' }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('expected type "image.job"');
  });

  it('names the offending field in a readable message', () => {
    const result = parseImageJobEvent(JSON.stringify({ ...validJob(), productId: 'nope' }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain('productId');
      expect(result.error).toContain('UUID');
    }
  });

  it('refuses a non-http source URL', () => {
    const job = { ...validJob(), source: { kind: 'url', url: 'file:///etc/passwd' } };
    const result = parseImageJobEvent(JSON.stringify(job));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('source.url');
  });

  it('refuses unknown fields so typos do not pass silently', () => {
    const result = parseImageJobEvent(JSON.stringify({ ...validJob(), prodcutId: 'x' }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('prodcutId');
  });
});

describe('parseImageResultEvent', () => {
  it('accepts a failed result with a reason', () => {
    const event = {
      type: 'image.result',
      version: 1,
      jobId: randomUUID(),
      productId: randomUUID(),
      imageId: randomUUID(),
      status: 'failed',
      variants: [],
      placeholder: null,
      failure: { code: 'CORRUPT_IMAGE', message: 'truncated JPEG' },
      processedAt: new Date().toISOString(),
    };
    expect(parseImageResultEvent(JSON.stringify(event))).toEqual({ ok: true, value: event });
  });

  it('rejects an unknown failure code', () => {
    const event = {
      type: 'image.result',
      version: 1,
      jobId: randomUUID(),
      productId: randomUUID(),
      imageId: randomUUID(),
      status: 'failed',
      variants: [],
      placeholder: null,
      failure: { code: 'OOPS', message: '' },
      processedAt: new Date().toISOString(),
    };
    const result = parseImageResultEvent(JSON.stringify(event));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('failure.code');
  });
});
