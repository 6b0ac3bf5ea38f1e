import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { zoneNamed } from '../../functions/core/zones.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('zoneNamed', () => {
  it('gives exactly the offsets and wall-clock times of luxon’s own zone, twice over', () => {
    const names = [
      'Europe/Berlin',
      'America/Sao_Paulo',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'Europe/Amsterdam',
    ];
    // Around DST changes (both ways), a 30-minute DST zone, a 45-minute offset, and local mean time of 1890.
    const instants = [
      '2026-03-29T00:59:59Z',
      '2026-03-29T01:00:00Z',
      '2026-10-25T00:59:59Z',
      '2026-10-25T01:00:00Z',
      '2026-04-04T15:00:00Z',
      '2026-10-03T15:30:00Z',
      '1890-06-01T12:00:00Z',
      '1937-07-01T00:00:00Z',
    ].map((iso) => Date.parse(iso));
    for (const name of names) {
      const ours = zoneNamed(name);
      const luxon = IANAZone.create(name);
      for (let round = 0; round < 2; round++) {
        for (const ts of instants) {
          expect(typeof ours === 'string' ? ours : ours.offset(ts)).toBe(luxon.offset(ts));
          expect(DateTime.fromMillis(ts, { zone: ours }).toISO()).toBe(
            DateTime.fromMillis(ts, { zone: name }).toISO(),
          );
        }
      }
      // Wall-clock times inside a DST gap move forward the same way.
      const civil = { year: 2026, month: 3, day: 29, hour: 2, minute: 30 };
      expect(DateTime.fromObject(civil, { zone: ours }).toISO()).toBe(
        DateTime.fromObject(civil, { zone: name }).toISO(),
      );
    }
  });

  it('asks Intl once per instant, however often a build asks luxon', () => {
    const zone = zoneNamed('Pacific/Chatham');
    const formatToParts = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    const at = new Date('2026-05-05T05:05:05Z');
    const first = DateTime.fromJSDate(at, { zone }).toISO();
    const asked = formatToParts.mock.calls.length;
    expect(asked).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) expect(DateTime.fromJSDate(at, { zone }).toISO()).toBe(first);
    expect(formatToParts.mock.calls.length).toBe(asked);
  });

  it('passes through what luxon reads as something other than an IANA zone', () => {
    expect(zoneNamed('UTC')).toBe(FixedOffsetZone.utcInstance);
    expect(zoneNamed('gmt')).toBe(FixedOffsetZone.utcInstance);
    expect(zoneNamed('local')).toBe('local');
    expect(zoneNamed('UTC+3')).toBe('UTC+3');
    expect(zoneNamed('Not/AZone')).toBe('Not/AZone');
    expect(zoneNamed('Europe/Berlin')).toBe(zoneNamed('Europe/Berlin'));
  });
});
