import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ApiConfig } from '../config.js';

/** Presigns browser uploads against the endpoint browsers reach (S3_PUBLIC_ENDPOINT). */
export interface UploadPresigner {
  presignPut(input: {
    key: string;
    contentType: string;
    contentLength: number;
    expiresInSeconds: number;
  }): Promise<{ url: string; headers: Record<string, string> }>;
  destroy(): void;
}

export function createUploadPresigner(config: ApiConfig): UploadPresigner {
  // SigV4 signs the host, so this client must use the host the browser uses. And without
  // WHEN_REQUIRED the SDK puts a CRC32 of an empty body into the URL, which S3 and MinIO then
  // hold the real upload against.
  const client = new S3Client({
    endpoint: config.uploads.publicEndpoint,
    region: config.s3.region,
    forcePathStyle: config.s3.forcePathStyle,
    credentials: {
      accessKeyId: config.s3.accessKeyId,
      secretAccessKey: config.s3.secretAccessKey,
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    async presignPut({ key, contentType, contentLength, expiresInSeconds }) {
      const url = await getSignedUrl(
        client,
        new PutObjectCommand({
          Bucket: config.s3.bucket,
          Key: key,
          ContentType: contentType,
          ContentLength: contentLength,
        }),
        {
          expiresIn: expiresInSeconds,
          // Signed, so S3 refuses a body of another length or type (403).
          signableHeaders: new Set(['content-type', 'content-length']),
        },
      );
      // Content-Length is set by the browser (and fetch) from the body itself.
      return { url, headers: { 'content-type': contentType } };
    },
    destroy: () => client.destroy(),
  };
}
