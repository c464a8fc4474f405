/* Only what other workspaces use; the package's own tests import its modules directly. */
export { ConstraintViolationError, DatabaseUnavailableError, InvalidDataError } from './errors.js';
export { migrateToLatest } from './migrate.js';
export { createOutboxListener, type OutboxListener } from './outbox-listener.js';
export { createDb, type Db } from './pool.js';
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
  creditBulkOutage,
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
export { decodeCursor } from './queries/cursor.js';
export {
  hasImageChangesAfter,
  latestImageChanges,
  purgeImageTombstones,
  readImageChanges,
} from './queries/image-changes.js';
export {
  countRenditions,
  findRendition,
  type Rendition,
  recordRendition,
} from './queries/image-renditions.js';
export {
  claimOutboxBatch,
  insertOutboxMessages,
  markOutboxPublished,
  type OutboxMessage,
  outboxBacklog,
  purgePublishedOutbox,
  recordOutboxFailure,
} from './queries/outbox.js';
export {
  appendProductImages,
  type BulkTarget,
  completeImageJob,
  countBulkTargets,
  countProductImages,
  failImageJob,
  findImageByJob,
  findImageContentHash,
  type ImageJobRef,
  type ImageResult,
  pageBulkTargets,
  replaceProductImages,
  requeueProductImages,
  startImageJob,
} from './queries/product-images.js';
export {
  deleteProduct,
  findProduct,
  insertProduct,
  listProducts,
  lockOwnedProduct,
  touchProduct,
  updateProductFields,
} from './queries/products.js';
export {
  countPendingUploads,
  expireUploads,
  findOwnedUpload,
  insertUpload,
  markUploadCompleted,
  markUploadRejected,
  type NewUpload,
} from './queries/uploads.js';
export { ensureUser } from './queries/users.js';
export type { BulkItemOutcome, BulkItemState } from './schema/bulk-job-items.table.js';
export type { BulkJobRow } from './schema/bulk-jobs.table.js';
export type { RenditionVariant } from './schema/image-renditions.table.js';
export type { OutboxRow } from './schema/outbox.table.js';
