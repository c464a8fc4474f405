/** Display helpers: money in its currency, bytes, percentages, durations. */

const fractionDigitsCache = new Map<string, number>();

/** How many minor units a currency has (EUR 2, JPY 0, KWD 3), from the browser's Intl data. */
export function fractionDigits(currency: string): number {
  let digits = fractionDigitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    fractionDigitsCache.set(currency, digits);
  }
  return digits;
}

export function formatMoney(money: { amountMinor: number; currency: string }): string {
  const digits = fractionDigits(money.currency);
  const major = money.amountMinor / 10 ** digits;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currency }).format(
      major,
    );
  } catch {
    return `${major.toFixed(digits)} ${money.currency}`;
  }
}

/**
 * "12.50" in EUR -> 1250 minor units; undefined when it is not a plain non-negative amount with at
 * most the currency's decimals (so "12.505 EUR" is refused, not rounded).
 */
export function parseMajorAmount(text: string, currency: string): number | undefined {
  const digits = fractionDigits(currency);
  const match = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text);
  if (match === null) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** 1250 minor units in EUR -> "12.50" (for an input box). */
export function minorToMajorText(amountMinor: number, currency: string): string {
  const digits = fractionDigits(currency);
  return (amountMinor / 10 ** digits).toFixed(digits);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** The saving of `after` against `before` in %, e.g. "−83 %" (negative when it grew). */
export function savingPercent(before: number | null | undefined, after: number): number | null {
  if (before === null || before === undefined || before <= 0) return null;
  return Math.round((1 - after / before) * 100);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString();
}
