import type { BulkJobStatus } from '@zocket/contracts';
import { type Db, findBulkJob } from '@zocket/db';

const TTL_MS = 1_000;

/**
 * The status of bulk jobs, cached for a second: a cancel reaches every processor within about a
 * second without a query per item. An unknown (deleted) job reads as cancelled.
 */
export class BulkJobStatusCache {
  private readonly entries = new Map<string, { at: number; status: BulkJobStatus }>();

  constructor(private readonly db: Db) {}

  async get(bulkJobId: string): Promise<BulkJobStatus> {
    const cached = this.entries.get(bulkJobId);
    if (cached !== undefined && Date.now() - cached.at < TTL_MS) return cached.status;
    const job = await findBulkJob(this.db, bulkJobId);
    const status: BulkJobStatus = job?.status ?? 'cancelled';
    if (this.entries.size > 100) this.entries.clear();
    this.entries.set(bulkJobId, { at: Date.now(), status });
    return status;
  }
}
