import { describe, expect, it } from 'vitest';
import { printable, printableLines } from '../../functions/core/printable.ts';

describe('printable', () => {
  it('removes C0 and C1 controls and DEL, keeping every other character', () => {
    const hostile = 'Pi\u001b[2J\u001b]0;pwned\u0007 Day\b\b\bEvil\u009b31m \u007fÜber 🎉';

    expect(printable(hostile)).toBe('Pi[2J]0;pwned DayEvil31m Über 🎉');
  });

  it('turns tabs and line breaks into one space, or keeps line feeds for multi-line output', () => {
    expect(printable('a\tb\r\nc')).toBe('a b c');
    expect(printableLines('one\u001b[A\r\ntwo\nthree')).toBe('one[A\ntwo\nthree');
  });
});
