import type { Product, UploadTicket } from '@zocket/contracts';
import type { ZocketClient } from './client.js';

/** The file to upload: a browser `File`, or any Blob with a content type. */
export type UploadBody = Blob;

export interface UploadOptions {
  /** Called with the fraction (0..1) of the bytes the object store has received. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** Hex SHA-256 of the bytes; the API then refuses an object with other contents. */
  sha256?: string;
}

/** The object store refused or never answered the presigned PUT. */
export class UploadPutError extends Error {
  override readonly name = 'UploadPutError';
  constructor(
    message: string,
    /** HTTP status of the object store's answer; null when none arrived. */
    readonly status: number | null,
  ) {
    super(message);
  }
}

interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob): void;
  abort(): void;
  status: number;
  upload: {
    onprogress:
      | ((event: { lengthComputable: boolean; loaded: number; total: number }) => void)
      | null;
  };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** XMLHttpRequest where the runtime has one: fetch() cannot report upload progress. */
function xhrConstructor(): (new () => XhrLike) | undefined {
  const candidate = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
  return typeof candidate === 'function' ? candidate : undefined;
}

/** PUTs `body` to a presigned ticket with exactly the signed headers, reporting progress. */
export function putToTicket(
  ticket: Pick<UploadTicket, 'url' | 'method' | 'headers'>,
  body: UploadBody,
  options: Pick<UploadOptions, 'onProgress' | 'signal'> = {},
): Promise<void> {
  const Xhr = xhrConstructor();
  if (Xhr === undefined) {
    // Node and workers: no progress events, so report the two ends.
    options.onProgress?.(0);
    return fetch(ticket.url, {
      method: ticket.method,
      headers: ticket.headers,
      body,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }).then(
      async (response) => {
        await response.arrayBuffer();
        if (!response.ok) {
          throw new UploadPutError(
            `the object store answered HTTP ${response.status}`,
            response.status,
          );
        }
        options.onProgress?.(1);
      },
      (error: unknown) => {
        if (options.signal?.aborted === true) throw error;
        throw new UploadPutError(
          `the upload could not reach the object store: ${String(error)}`,
          null,
        );
      },
    );
  }
  return new Promise<void>((resolve, reject) => {
    const xhr = new Xhr();
    xhr.open(ticket.method, ticket.url);
    for (const [name, value] of Object.entries(ticket.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(1);
        resolve();
      } else {
        reject(new UploadPutError(`the object store answered HTTP ${xhr.status}`, xhr.status));
      }
    };
    xhr.onerror = () =>
      reject(new UploadPutError('the upload could not reach the object store', null));
    xhr.onabort = () => reject(new UploadPutError('the upload was aborted', null));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/**
 * Uploads one file straight to the object store: the API hands out a presigned PUT, the bytes go
 * to S3 (with progress), then the API checks the object and queues the image. Returns the product
 * with the new image (pending).
 */
export async function uploadImage(
  client: ZocketClient,
  productId: string,
  file: UploadBody,
  options: UploadOptions = {},
): Promise<Product> {
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const ticket = await client.products.createUpload.mutate(
    {
      productId,
      contentType: file.type === '' ? 'application/octet-stream' : file.type,
      contentLength: file.size,
      ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
    },
    signal,
  );
  await putToTicket(ticket, file, options);
  return client.products.completeUpload.mutate({ uploadId: ticket.uploadId }, signal);
}

/**
 * Uploads files through the API in one multipart request (one job per image). Simpler than
 * presigned uploads, but the bytes pass through the API and there is no progress.
 */
export function uploadImagesMultipart(
  client: ZocketClient,
  productId: string,
  files: readonly UploadBody[],
  options: Pick<UploadOptions, 'signal'> = {},
): Promise<Product> {
  const form = new FormData();
  form.set('id', productId);
  for (const [i, file] of files.entries()) {
    form.append('files', file, (file as { name?: string }).name ?? `image-${i + 1}`);
  }
  // The router types its input with the server's FormData; a browser's is the same at runtime.
  type ServerForm = Parameters<ZocketClient['products']['uploadImages']['mutate']>[0];
  return client.products.uploadImages.mutate(
    form as unknown as ServerForm,
    options.signal === undefined ? {} : { signal: options.signal },
  );
}
