export {
  type ConstraintKind,
  ConstraintViolationError,
  DatabaseUnavailableError,
  InvalidDataError,
  mapDbError,
  withDbErrors,
} from './errors.js';
export { toProduct, toProductImage } from './mappers.js';
export { type MigrateOutcome, migrateToLatest } from './migrate.js';
export { migrationProvider } from './migrations/index.js';
export { createOutboxListener, type OutboxListener } from './outbox-listener.js';
export { createDb, type Db, type DbOptions } from './pool.js';
export {
  completeImageJob,
  failImageJob,
  findImageByJob,
  type ImageResult,
  type JobKey,
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
export type { Database } from './schema/database.js';
export type { OutboxRow, OutboxTable } from './schema/outbox.table.js';
export type { ProductImageRow, ProductImagesTable } from './schema/product-images.table.js';
export type { ProductRow, ProductsTable } from './schema/products.table.js';
export type { UserRow, UsersTable } from './schema/users.table.js';
