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
  product_image_tombstones: ProductImageTombstonesTable;
  uploads: UploadsTable;
}
