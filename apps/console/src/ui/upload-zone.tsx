import { useQueryClient } from '@tanstack/react-query';
import { uploadImage } from '@zocket/client';
import { type DragEvent, useId, useRef, useState } from 'react';
import { useApi } from '../api/api-context';
import { describeProblem } from '../api/errors';
import { keys } from '../api/queries';
import { formatBytes } from './format';

interface FileUpload {
  key: string;
  name: string;
  size: number;
  /** 0..1 of the bytes sent to the object store. */
  progress: number;
  status: 'preparing' | 'uploading' | 'completing' | 'done' | 'error';
  error?: string;
}

function uploadMessage(error: unknown): string {
  return describeProblem(error).message;
}

/**
 * Drop files (or pick them) to upload them straight to the object store: the API hands out a
 * presigned PUT per file, the browser sends the bytes with a progress bar, then the API is told
 * the upload is complete and queues the image.
 */
export function UploadZone(props: { productId: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [uploads, setUploads] = useState<FileUpload[]>([]);

  const update = (key: string, patch: Partial<FileUpload>) =>
    setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...patch } : u)));

  const uploadOne = async (file: File, key: string) => {
    try {
      const product = await uploadImage(api, props.productId, file, {
        onProgress: (progress) =>
          update(key, { status: progress < 1 ? 'uploading' : 'completing', progress }),
      });
      queryClient.setQueryData(keys.product(product.id), product);
      update(key, { status: 'done' });
    } catch (error) {
      update(key, { status: 'error', error: uploadMessage(error) });
    }
  };

  const start = (files: FileList | null) => {
    if (files === null || files.length === 0) return;
    const added = Array.from(files, (file, i) => ({
      file,
      upload: {
        key: `${Date.now()}-${i}-${file.name}`,
        name: file.name,
        size: file.size,
        progress: 0,
        status: 'preparing' as const,
      },
    }));
    setUploads((all) => [...all, ...added.map((a) => a.upload)]);
    for (const { file, upload } of added) void uploadOne(file, upload.key);
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    start(event.dataTransfer.files);
  };

  return (
    <section className="upload" aria-label="Upload images">
      <fieldset
        className={`dropzone${over ? ' over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <legend className="visually-hidden">Images to upload</legend>
        <p>Drop images here (JPEG, PNG, WebP, AVIF, GIF, TIFF), or</p>
        <input
          id={inputId}
          ref={input}
          className="visually-hidden"
          type="file"
          accept="image/*"
          multiple
          onChange={(e) => {
            start(e.target.files);
            if (input.current !== null) input.current.value = '';
          }}
        />
        <label htmlFor={inputId} className="button">
          Choose files…
        </label>
      </fieldset>
      {uploads.length === 0 ? null : (
        <ul className="uploads">
          {uploads.map((u) => (
            <li key={u.key} className={`upload-${u.status}`} data-testid="upload-row">
              <span className="grow">
                {u.name} <span className="muted">{formatBytes(u.size)}</span>
              </span>
              <progress max={1} value={u.progress} aria-label={`${u.name} uploaded`} />
              <span className="upload-status">{u.status === 'error' ? 'failed' : u.status}</span>
              {u.error === undefined ? null : (
                <p className="field-error" role="alert">
                  {u.error}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
