import { PutObjectCommand } from '@aws-sdk/client-s3';
import { testS3Client, testServices, uniqueName } from '@zocket/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { FetchError } from '../src/fetch/safe-fetch.js';
import { SourceMissingError } from '../src/jobs/failure-policy.js';
import { getSourceObject } from '../src/s3/s3-store.js';

describe('getSourceObject against the real S3 server', () => {
  const { s3: settings } = testServices();
  const s3 = testS3Client(settings);
  const config = { bucket: settings.bucket, publicBaseUrl: '', publicReadAcl: false };
  const key = `uploads/${uniqueName('s3store')}/original`;

  afterAll(() => s3.destroy());

  it('reads an original within the cap, and refuses a larger one as too large, not missing', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: settings.bucket, Key: key, Body: Buffer.alloc(2048, 1) }),
    );
    expect((await getSourceObject(s3, config, key, 4096)).length).toBe(2048);
    const error = await getSourceObject(s3, config, key, 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ code: 'SOURCE_TOO_LARGE', retryable: false });
  });

  it('reports a missing original as missing', async () => {
    const error = await getSourceObject(s3, config, `${key}-absent`, 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceMissingError);
  });
});
