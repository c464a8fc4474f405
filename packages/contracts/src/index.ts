export { AppError, isAppError } from './app-error.js';
export {
  CACHE_GENERATION_TTL_SECONDS,
  CACHE_SCRIPTS,
  type CacheKeys,
  type CacheScriptRunner,
  cacheKeys,
  invalidateCachedProduct,
} from './cache-protocol.js';
export {
  ERROR_CODES,
  type ErrorBody,
  type ErrorCode,
  HTTP_STATUS_BY_CODE,
  IMAGE_FAILURE_CODES,
  type ImageFailureCode,
} from './errors.js';
export {
  type ImageFailure,
  type ImageJobEventV1,
  type ImageResultEventV1,
  imageFailureSchema,
  imageJobEvent,
  imageJobEventV1,
  imageResultEventV1,
  JOB_REASONS,
  type ParseResult,
  parseImageJobEvent,
  parseImageResultEvent,
} from './events.js';
export {
  CONTENT_TYPE_BY_FORMAT,
  SOURCE_FORMATS,
  type SourceFormat,
  sniffImageFormat,
} from './image-formats.js';
export { eventJsonSchemas } from './json-schemas.js';
export {
  amountMinorSchema,
  currencySchema,
  MAX_AMOUNT_MINOR,
  type Money,
  moneySchema,
} from './money.js';
export {
  bestVariantUrl,
  type CreateProductInput,
  compressedImageUrls,
  createProductInput,
  DEFAULT_LIST_LIMIT,
  IMAGE_FORMATS,
  IMAGE_STATUSES,
  type ImageFormat,
  type ImageSource,
  type ImageStatus,
  type ImageVariant,
  idSchema,
  imageFormatSchema,
  imageSourceSchema,
  imageStatusSchema,
  imageUrlSchema,
  imageVariantSchema,
  type ListProductsInput,
  listProductsInput,
  MAX_IMAGE_URL_LENGTH,
  MAX_IMAGES_PER_PRODUCT,
  MAX_LIST_LIMIT,
  type Product,
  type ProductIdInput,
  type ProductImage,
  type ProductPage,
  productIdInput,
  productImageSchema,
  productPageSchema,
  productSchema,
  type UpdateProductInput,
  updateProductInput,
} from './products.js';
export { HEADERS, TOPICS, type Topics, topicNames } from './topics.js';
