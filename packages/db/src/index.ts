export {
  type ConstraintKind,
  ConstraintViolationError,
  DatabaseUnavailableError,
  mapDbError,
  withDbErrors,
} from './errors.js';
export { toProduct, toProductImage } from './mappers.js';
export { type MigrateOutcome, migrateToLatest } from './migrate.js';
export { migrationProvider } from './migrations/index.js';
export { createOutboxListener, type OutboxListener } from './outbox-listener.js';
export { createDb, type Db, type DbOptions } from './pool.js';
export { recordBulkCommand, setBulkCommandJob } from './queries/bulk-commands.js';
export {
  BULK_COUNTER_SHARDS,
  type BulkOutcomeCounts,
  createBulkCounters,
  sumBulkCounters,
} from './queries/bulk-job-counters.js';
export {
  type BulkItemRef,
  countBulkItemsByState,
  expireBulkItems,
  insertBulkItems,
  recordBulkItemOutcome,
} from './queries/bulk-job-items.js';
export {
  advanceBulkJob,
  type BulkJobState,
  claimDispatchableBulkJob,
  findBulkJob,
  inFlightOf,
  insertBulkJob,
  listBulkJobs,
  ONE_ACTIVE_BULK_JOB,
  toBulkJob,
  transitionBulkJob,
} from './queries/bulk-jobs.js';
export {
  countRenditions,
  findRendition,
  type Rendition,
  recordRendition,
} from './queries/image-renditions.js';
export {
  type BulkTarget,
  completeImageJob,
  countBulkTargets,
  failImageJob,
  findImageByJob,
  findImageContentHash,
  type ImageResult,
  type JobKey,
  pageBulkTargets,
  startImageJob,
} from './queries/images.js';
export {
  claimOutboxBatch,
  insertOutboxMessages,
  markOutboxPublished,
  OUTBOX_CHANNEL,
  type OutboxMessage,
  outboxBacklog,
  purgePublishedOutbox,
  recordOutboxFailure,
} from './queries/outbox.js';
export {
  appendProductImages,
  countProductImages,
  decodeCursor,
  deleteProduct,
  findProduct,
  type ImageJobRef,
  insertProduct,
  listProducts,
  lockOwnedProduct,
  type NewProduct,
  type ProductPatch,
  replaceProductImages,
  requeueProductImages,
  touchProduct,
  updateProductFields,
} from './queries/products.js';
export { ensureUser } from './queries/users.js';
export type { BulkItemOutcome, BulkItemState } from './schema/bulk-job-items.table.js';
export type { BulkJobRow, BulkJobsTable } from './schema/bulk-jobs.table.js';
export type { Database } from './schema/database.js';
export type { RenditionVariant } from './schema/image-renditions.table.js';
export type { OutboxRow, OutboxTable } from './schema/outbox.table.js';
export type { ProductImageRow, ProductImagesTable } from './schema/product-images.table.js';
export type { ProductRow, ProductsTable } from './schema/products.table.js';
export type { UserRow, UsersTable } from './schema/users.table.js';
