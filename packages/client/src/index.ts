export type {
  ImageChange,
  ImageVariant,
  Product,
  ProductImage,
  ProductPage,
} from '@zocket/contracts';
export {
  createZocketClient,
  type TokenSource,
  trpcUrl,
  type ZocketClient,
  type ZocketClientOptions,
} from './client.js';
export {
  isZocketError,
  type ZocketErrorCode,
  type ZocketErrorInfo,
  type ZocketTRPCError,
  zocketError,
} from './errors.js';
export {
  type Aspect,
  type ImageSources,
  type ImageSourcesOptions,
  imageSources,
  type PictureImage,
  parseAspect,
  placeholderDataUrl,
} from './images.js';
export {
  putToTicket,
  type UploadBody,
  type UploadOptions,
  UploadPutError,
  uploadImage,
  uploadImagesMultipart,
} from './uploads.js';
