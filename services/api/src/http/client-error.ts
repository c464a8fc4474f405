import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '@zocket/contracts';
import { REQUEST_ID_HEADER } from './request-record.js';

/*
 * A request Node's HTTP parser refuses (headers over `--max-http-header-size`, 16 KiB by default,
 * a URL counted in them; a malformed request line or header) never reaches the app. Node's own
 * answer is a bare status line without a body; this one carries the one error body.
 */

/** `clientError` listener of the API's HTTP server. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    // Mid-response (or already gone): nothing can be answered on this connection.
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const requestId = randomUUID();
  const body: ErrorBody = {
    error: {
      code: 'BAD_REQUEST',
      message: tooLarge
        ? 'the request line and headers are over the size limit'
        : 'malformed HTTP request',
      requestId,
    },
  };
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n${REQUEST_ID_HEADER}: ${requestId}\r\nConnection: close\r\n\r\n${json}`,
  );
}
