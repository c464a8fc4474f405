import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  fractionDigits,
  minorToMajorText,
  parseMajorAmount,
  savingPercent,
} from '../src/ui/format';

describe('money typed in major units', () => {
  it('knows each currency has its own number of minor units', () => {
    expect([fractionDigits('EUR'), fractionDigits('JPY'), fractionDigits('KWD')]).toEqual([
      2, 0, 3,
    ]);
  });

  it('turns what a seller types into exact minor units', () => {
    expect(parseMajorAmount('12.5', 'EUR')).toBe(1250);
    expect(parseMajorAmount('12,05', 'EUR')).toBe(1205);
    expect(parseMajorAmount(' 1999 ', 'JPY')).toBe(1999);
    expect(parseMajorAmount('1.234', 'KWD')).toBe(1234);
    // 0.1 + 0.2 style drift must not appear: 19.99 is 1999, not 1998.9999.
    expect(parseMajorAmount('19.99', 'EUR')).toBe(1999);
  });

  it('refuses amounts it would have to round or guess', () => {
    for (const text of ['12.505', '-3', '1e3', '', 'abc', '1.2.3']) {
      expect(parseMajorAmount(text, 'EUR'), text).toBeUndefined();
    }
    expect(parseMajorAmount('5.5', 'JPY')).toBeUndefined();
  });

  it('shows minor units back in major units for editing', () => {
    expect(minorToMajorText(1250, 'EUR')).toBe('12.50');
    expect(minorToMajorText(1999, 'JPY')).toBe('1999');
  });
});

describe('sizes', () => {
  it('says bytes the way people read them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.00 MiB');
    expect(formatBytes(null)).toBe('—');
  });

  it('computes the saving against the original, negative when a variant grew', () => {
    expect(savingPercent(1000, 170)).toBe(83);
    expect(savingPercent(1000, 1200)).toBe(-20);
    expect(savingPercent(null, 10)).toBeNull();
    expect(savingPercent(0, 10)).toBeNull();
  });

  it('says how long a bulk job has left', () => {
    expect(formatDuration(42.2)).toBe('43 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(7260)).toBe('2 h 1 min');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});
