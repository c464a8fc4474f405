import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { testKeyPrefix } from '../../src/isolation.js';
import { testS3Client, testServices } from '../../src/services.js';

describe('S3-compatible server through @aws-sdk/client-s3 (SigV4, path style)', () => {
  const { s3: cfg } = testServices();
  const s3 = testS3Client(cfg);
  const key = `${testKeyPrefix('s3')}/hello.bin`;
  afterAll(() => s3.destroy());

  it('puts, heads, gets and deletes an object', async () => {
    const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    await s3.send(
      new PutObjectCommand({
        Bucket: cfg.bucket,
        Key: key,
        Body: body,
        ContentType: 'image/webp',
        CacheControl: 'public, max-age=31536000, immutable',
      }),
    );

    const head = await s3.send(new HeadObjectCommand({ Bucket: cfg.bucket, Key: key }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.ContentType).toBe('image/webp');
    expect(head.CacheControl).toBe('public, max-age=31536000, immutable');

    const got = await s3.send(new GetObjectCommand({ Bucket: cfg.bucket, Key: key }));
    const bytes = Buffer.from(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(bytes.equals(body)).toBe(true);

    await s3.send(new DeleteObjectCommand({ Bucket: cfg.bucket, Key: key }));
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: cfg.bucket, Key: key })),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it('refuses a request signed with the wrong secret', async () => {
    const wrong = new S3Client({
      endpoint: cfg.endpoint,
      region: cfg.region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: cfg.accessKeyId,
        secretAccessKey: `${cfg.secretAccessKey}-wrong`,
      },
    });
    try {
      await expect(
        wrong.send(new PutObjectCommand({ Bucket: cfg.bucket, Key: `${key}.x`, Body: 'x' })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    } finally {
      wrong.destroy();
    }
  });
});
