/* Only what other workspaces use; the package's own tests import its modules directly. */
export { migrateToLatest } from './migrate.js';
export { createOutboxListener, type OutboxListener } from './outbox-listener.js';
export { createDb, type Db } from './pool.js';
export { decodeCursor } from './queries/cursor.js';
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
  completeImageJob,
  countProductImages,
  failImageJob,
  findImageByJob,
  type ImageJobRef,
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
export { ensureUser } from './queries/users.js';
export type { OutboxRow } from './schema/outbox.table.js';
