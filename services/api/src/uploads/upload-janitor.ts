import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Db, expireUploads, purgeImageTombstones } from '@zocket/db';
import type { Logger } from '@zocket/service-kit';

export interface UploadJanitorOptions {
  db: Db;
  s3: S3Client;
  bucket: string;
  logger: Logger;
  intervalMs: number;
  /** Removal markers for live subscribers are kept this long. */
  tombstoneRetentionSeconds: number;
}

/**
 * Removes the objects of uploads never completed once their URL expired (S3Proxy has no
 * lifecycle rules; on S3 add one for `uploads/` as well), and purges old image tombstones.
 */
export class UploadJanitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: UploadJanitorOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.runOnce().catch(() => 0), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => 0);
  }

  /** One pass; returns how many uploads expired. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    const { db, s3, bucket, logger } = this.options;
    let expired = 0;
    try {
      for (;;) {
        // DeleteObject succeeds for a key never uploaded, so every expired upload is removable.
        const keys = await expireUploads(db, 100, async (batch) => {
          await Promise.all(
            batch.map((Key) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }))),
          );
        });
        expired += keys.length;
        if (keys.length < 100) break;
      }
      await purgeImageTombstones(db, this.options.tombstoneRetentionSeconds);
    } catch (error) {
      logger.warn({ err: error }, 'upload janitor pass failed; trying again later');
    }
    if (expired > 0) logger.info({ expired }, 'expired uploads removed');
    return expired;
  }
}
