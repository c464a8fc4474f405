/*
 * JSON travels as UTF-8 (RFC 8259). A body with bytes that are not UTF-8 would otherwise be
 * decoded with U+FFFD in their place, and the text stored would not be the one sent.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The body's text, or undefined when its bytes are not valid UTF-8. */
export function decodeUtf8Body(bytes: ArrayBuffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export const NOT_UTF8 = 'the body is not valid UTF-8';

export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith('application/json') ?? false;
}
