/**
 * DNS questions for `herald doctor` through `node:dns` (or any resolver with the same methods,
 * which tests inject). Answers are normalised: lower-case names without the trailing dot.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsAnswer, DnsLookup } from '../core/doctor.ts';

/** The part of `node:dns/promises`' Resolver the doctor uses. */
export interface DnsResolver {
  resolveCname(name: string): Promise<string[]>;
  resolveMx(name: string): Promise<{ exchange: string; priority: number }[]>;
  resolveTxt(name: string): Promise<string[][]>;
  resolve4(name: string): Promise<string[]>;
}

const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);
const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

async function answer(run: () => Promise<string[]>): Promise<DnsAnswer> {
  try {
    const records = await run();
    return records.length > 0 ? { found: true, records } : { found: false, error: 'no record' };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NO_RECORD.has(code)) return { found: false, error: 'no record' };
    return { found: false, error: `lookup failed (${typeof code === 'string' ? code : String(error)})` };
  }
}

/** Builds the lookup; by default on the system's DNS servers with short timeouts. */
export function createDnsLookup(
  resolver: DnsResolver = new Resolver({ timeout: 3000, tries: 2 }),
): DnsLookup {
  return {
    cname: (name) => answer(async () => (await resolver.resolveCname(name)).map(norm)),
    mx: (name) =>
      answer(async () =>
        (await resolver.resolveMx(name))
          .sort((a, b) => a.priority - b.priority)
          .map((r) => `${r.priority} ${norm(r.exchange)}`),
      ),
    // A TXT record longer than 255 bytes arrives in chunks that form one string.
    txt: (name) => answer(async () => (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''))),
    addresses: (name) => answer(async () => (await resolver.resolve4(name)).sort()),
  };
}
