import { FixedOffsetZone, IANAZone, type Zone } from 'luxon';

/** Offsets remembered per zone before the memory is cleared (a few MB at most). */
const MAX_REMEMBERED = 100_000;

/**
 * An IANA zone that remembers each offset it computed. Luxon asks a zone for its offset at an instant
 * through `Intl.DateTimeFormat.formatToParts` (tens of microseconds a call), and a build asks about the
 * same instant several times per post: parsing its date, its permalink, its page and feed dates.
 * Exact: only the same instant gets the same answer.
 */
class RememberingZone extends IANAZone {
  readonly #offsets = new Map<number, number>();

  override offset(ts: number): number {
    let offset = this.#offsets.get(ts);
    if (offset === undefined) {
      offset = super.offset(ts);
      if (this.#offsets.size >= MAX_REMEMBERED) this.#offsets.clear();
      this.#offsets.set(ts, offset);
    }
    return offset;
  }
}

const zones = new Map<string, Zone>();

/**
 * The luxon zone for a zone name such as the site's `timezone`, one per name for the process. Names luxon
 * reads as something other than an IANA zone (`UTC`, `GMT`, `local`, `UTC+3`) are passed through as
 * luxon would read them.
 */
export function zoneNamed(name: string): Zone | string {
  let zone = zones.get(name);
  if (zone === undefined) {
    const lowered = name.toLowerCase();
    if (lowered === 'utc' || lowered === 'gmt') zone = FixedOffsetZone.utcInstance;
    else if (lowered === 'local' || lowered === 'system' || !IANAZone.isValidZone(name)) return name;
    else zone = new RememberingZone(name);
    zones.set(name, zone);
  }
  return zone;
}
