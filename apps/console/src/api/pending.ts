/*
 * Procedures the console uses that this API does not have yet: the bulk router, live image
 * changes and presigned uploads. Their shapes are the agreed ones (`bulk.*`, `products.onChange`,
 * `products.createUpload` / `completeUpload`), declared here by hand and called through ONE
 * narrow cast of the typed client.
 *
 * When those procedures land in `AppRouter`, this cast goes: delete the interfaces below that
 * `AppRouter` now infers, replace `pendingApi(client)` with `client` at the call sites (the
 * method names and inputs are the same), and let `tsc` point at any shape that drifted.
 * Until then a call against an API without the procedure fails with tRPC's NOT_FOUND
 * ("No procedure found on path ..."), which `describeProblem` reports as `missing-procedure`.
 */
import type { Product, ProductImage } from '@zocket/contracts';
import type { ApiClient } from './client';

export type ImageStatus = 'pending' | 'processing' | 'ready' | 'failed';

export interface BulkFilter {
  profileNot?: string;
  statuses?: ImageStatus[];
  /** A uuid: the products' ownerId. */
  ownerId?: string;
  /** uuids. */
  productIds?: string[];
}

export type BulkJobStatus =
  | 'running'
  | 'paused'
  | 'cancelling'
  | 'cancelled'
  | 'completed'
  | 'failed';

export interface BulkJob {
  id: string;
  kind: 'reprocess';
  status: BulkJobStatus;
  filter: BulkFilter;
  counts: {
    total: number;
    dispatched: number;
    succeeded: number;
    failed: number;
    skipped: number;
    cancelled: number;
  };
  maxInFlight: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  lastError: string | null;
}

export interface ImageChange {
  productId: string;
  imageId: string;
  changeSeq: number;
  /** null: the image was removed. */
  image: ProductImage | null;
}

export interface UploadTicket {
  uploadId: string;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

/** What a subscription with `tracked(id, data)` yields on the client. */
export interface Tracked<T> {
  id: string;
  data: T;
}

interface SubscribeOptions<T> {
  onStarted?: () => void;
  onData: (value: Tracked<T>) => void;
  onError: (error: unknown) => void;
  onComplete?: () => void;
  /** `connecting` with an error: the link lost the stream and is reconnecting by itself. */
  onConnectionStateChange?: (state: {
    state: 'idle' | 'connecting' | 'pending';
    error: unknown;
  }) => void;
}

interface Unsubscribable {
  unsubscribe(): void;
}

interface Query<I, O> {
  query(input: I, opts?: { signal?: AbortSignal }): Promise<O>;
}
interface Mutation<I, O> {
  mutate(input: I): Promise<O>;
}
interface Subscription<I, T> {
  subscribe(input: I, opts: SubscribeOptions<T>): Unsubscribable;
}

export interface PendingProcedures {
  products: {
    onChange: Subscription<{ productId: string; lastEventId?: string }, ImageChange>;
    createUpload: Mutation<
      { productId: string; contentType: string; contentLength: number; sha256?: string },
      UploadTicket
    >;
    completeUpload: Mutation<{ uploadId: string }, Product>;
  };
  bulk: {
    preview: Query<{ filter: BulkFilter }, { total: number }>;
    start: Mutation<{ filter: BulkFilter; maxInFlight?: number }, BulkJob>;
    get: Query<{ id: string }, BulkJob>;
    list: Query<
      { limit?: number; cursor?: string },
      { items: BulkJob[]; nextCursor: string | null }
    >;
    pause: Mutation<{ id: string }, BulkJob>;
    resume: Mutation<{ id: string }, BulkJob>;
    cancel: Mutation<{ id: string }, BulkJob>;
    dlqCount: Query<void, { count: number }>;
    onProgress: Subscription<{ id: string; lastEventId?: string }, BulkJob>;
  };
}

/** The typed client seen with the procedures above. The one cast; it goes when they land. */
export function pendingApi(client: ApiClient): PendingProcedures {
  return client as unknown as PendingProcedures;
}
