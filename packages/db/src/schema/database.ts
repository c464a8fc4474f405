import type { BulkCommandsTable } from './bulk-commands.table.js';
import type { BulkJobCountersTable } from './bulk-job-counters.table.js';
import type { BulkJobItemsTable } from './bulk-job-items.table.js';
import type { BulkJobsTable } from './bulk-jobs.table.js';
import type { ImageRenditionsTable } from './image-renditions.table.js';
import type { OutboxTable } from './outbox.table.js';
import type { ProductImageTombstonesTable } from './product-image-tombstones.table.js';
import type { ProductImagesTable } from './product-images.table.js';
import type { ProductsTable } from './products.table.js';
import type { UploadsTable } from './uploads.table.js';
import type { UsersTable } from './users.table.js';

export interface Database {
  users: UsersTable;
  products: ProductsTable;
  product_images: ProductImagesTable;
  outbox: OutboxTable;
  bulk_jobs: BulkJobsTable;
  bulk_job_items: BulkJobItemsTable;
  bulk_job_counters: BulkJobCountersTable;
  bulk_commands: BulkCommandsTable;
  image_renditions: ImageRenditionsTable;
  product_image_tombstones: ProductImageTombstonesTable;
  uploads: UploadsTable;
}
