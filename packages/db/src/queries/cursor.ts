/* The keyset cursor of `listProducts`: (created_at at microsecond precision, id), base64url. */

export interface Cursor {
  ts: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.ts}|${cursor.id}`).toString('base64url');
}

/** Decodes a list cursor; undefined when it was not produced by `listProducts`. */
export function decodeCursor(value: string): Cursor | undefined {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const match =
    /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(
      text,
    );
  if (match === null) return undefined;
  // The shape alone lets month 13 or hour 25 through to PostgreSQL, which would fail the query.
  const ms = match[1] as string;
  const parsed = new Date(`${ms}Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== `${ms}Z`) return undefined;
  return { ts: text.slice(0, text.indexOf('|')), id: (match[2] as string).toLowerCase() };
}
