import { AppError } from '@zocket/contracts';

export type ConstraintKind = 'unique' | 'foreign_key' | 'check' | 'not_null';

/** A write refused by a database constraint; `constraint` names which one. */
export class ConstraintViolationError extends AppError {
  override readonly name = 'ConstraintViolationError';
  readonly kind: ConstraintKind;
  readonly constraint: string | undefined;

  constructor(kind: ConstraintKind, constraint: string | undefined, cause: unknown) {
    super(
      kind === 'unique' ? 'CONFLICT' : 'BAD_REQUEST',
      `${kind.replace('_', ' ')} constraint ${constraint ?? '(unknown)'} violated`,
      { cause },
    );
    this.kind = kind;
    this.constraint = constraint;
  }
}

/** The database could not be reached or dropped the connection: retrying can help. */
export class DatabaseUnavailableError extends AppError {
  override readonly name = 'DatabaseUnavailableError';
  constructor(cause: unknown) {
    super('UNAVAILABLE', 'database unavailable', { cause, retryable: true });
  }
}

/** A value PostgreSQL refused as data (class 22: bad encoding, out of range, ...): the caller's input. */
export class InvalidDataError extends AppError {
  override readonly name = 'InvalidDataError';
  readonly sqlState: string;
  constructor(sqlState: string, cause: unknown) {
    super('BAD_REQUEST', `a value cannot be stored (SQLSTATE ${sqlState})`, { cause });
    this.sqlState = sqlState;
  }
}

const CONSTRAINT_BY_SQLSTATE: Record<string, ConstraintKind> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  '23514': 'check',
  '23502': 'not_null',
};

const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);

/** Translates a pg error into a typed error; anything unrecognised is returned unchanged. */
export function mapDbError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code === undefined) {
    return typeof e.message === 'string' &&
      /Connection terminated|timeout exceeded/i.test(e.message)
      ? new DatabaseUnavailableError(error)
      : error;
  }
  const kind = CONSTRAINT_BY_SQLSTATE[code];
  if (kind !== undefined) {
    return new ConstraintViolationError(
      kind,
      typeof e.constraint === 'string' ? e.constraint : undefined,
      error,
    );
  }
  if (code.startsWith('22')) return new InvalidDataError(code, error);
  // Class 08 (connection exception), 57P0x (shutdown), 53 (insufficient resources).
  if (UNAVAILABLE_ERRNOS.has(code) || /^(08|57P0|53)/.test(code)) {
    return new DatabaseUnavailableError(error);
  }
  return error;
}

/** Runs a query function and rethrows its failure as a typed error. */
export async function withDbErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapDbError(error);
  }
}
