import { describe, expect, it } from 'vitest';
import {
  dkimSigningDomain,
  domainsAligned,
  type InboundEvidence,
  judgeInboundSender,
} from '../../functions/core/inbound-sender.ts';

const sig = (domain: string) =>
  `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain}; s=sel1;\r\n\th=from:to; bh=abc=; b=xyz=`;
const ALIGNED = [sig('reader.example')];
const PARENT_ALIGNED = [sig('example.org')];
const FOREIGN = [sig('attacker.example')];
const MIXED = [sig('reader.example'), sig('attacker.example')];

function evidence(overrides: Partial<InboundEvidence>): InboundEvidence {
  return {
    from: ['"A Reader" <Anna@Reader.Example>'],
    spamVerdict: 'PASS',
    virusVerdict: 'PASS',
    dkimSignatures: [],
    ...overrides,
  };
}

type Row = [
  dmarc: string | undefined,
  policy: string | undefined,
  dkim: string | undefined,
  signatures: readonly string[],
  expected: string,
];

// Every DMARC verdict × policy × DKIM verdict × signature alignment that leads somewhere different.
const rows: Row[] = [
  ['PASS', undefined, 'PASS', ALIGNED, 'act:dmarc'],
  ['PASS', undefined, 'FAIL', [], 'act:dmarc'],
  ['PASS', undefined, 'GRAY', FOREIGN, 'act:dmarc'],
  ['FAIL', 'reject', 'PASS', ALIGNED, 'dmarc-failed'],
  ['FAIL', 'quarantine', 'PASS', ALIGNED, 'dmarc-failed'],
  ['FAIL', undefined, 'PASS', ALIGNED, 'dmarc-failed'],
  ['FAIL', 'none', 'PASS', ALIGNED, 'act:aligned-dkim'],
  ['FAIL', 'none', 'PASS', FOREIGN, 'dkim-not-aligned'],
  ['FAIL', 'none', 'FAIL', ALIGNED, 'dkim-not-passed'],
  ['GRAY', undefined, 'PASS', ALIGNED, 'act:aligned-dkim'],
  ['GRAY', undefined, 'PASS', FOREIGN, 'dkim-not-aligned'],
  ['GRAY', undefined, 'PASS', MIXED, 'dkim-not-aligned'],
  ['GRAY', undefined, 'PASS', [], 'no-dkim-signature'],
  ['GRAY', undefined, 'PASS', ['v=1; a=rsa-sha256; s=sel1; b=xyz='], 'dkim-not-aligned'],
  ['GRAY', undefined, 'FAIL', ALIGNED, 'dkim-not-passed'],
  ['GRAY', undefined, 'GRAY', ALIGNED, 'dkim-not-passed'],
  ['GRAY', undefined, 'PROCESSING_FAILED', ALIGNED, 'dkim-not-passed'],
  ['GRAY', undefined, undefined, ALIGNED, 'dkim-not-passed'],
  ['PROCESSING_FAILED', undefined, 'PASS', ALIGNED, 'dmarc-unavailable'],
  [undefined, undefined, 'PASS', ALIGNED, 'dmarc-unavailable'],
];

const outcome = (j: ReturnType<typeof judgeInboundSender>) => (j.act ? `act:${j.basis}` : j.reason);

describe('judgeInboundSender', () => {
  it.each(rows)(
    'dmarc %s (policy %s), dkim %s, signatures %j → %s',
    (dmarc, policy, dkim, signatures, expected) => {
      const input = evidence({
        dmarcVerdict: dmarc,
        dmarcPolicy: policy,
        dkimVerdict: dkim,
        dkimSignatures: signatures,
      });

      const judged = judgeInboundSender(input);

      expect(outcome(judged)).toBe(expected);
      if (judged.act) expect(judged.address).toBe('Anna@reader.example');
    },
  );

  it('never acts on SPF: an SPF pass without DMARC or aligned DKIM is refused', () => {
    const input = { ...evidence({ dmarcVerdict: 'GRAY', dkimVerdict: 'FAIL' }), spfVerdict: 'PASS' };

    expect(outcome(judgeInboundSender(input))).toBe('dkim-not-passed');
  });

  it('refuses spam or a virus whatever the authentication says', () => {
    const spam = evidence({ dmarcVerdict: 'PASS', spamVerdict: 'FAIL' });
    const virus = evidence({ dmarcVerdict: 'PASS', virusVerdict: 'FAIL' });

    expect([spam, virus].map((e) => outcome(judgeInboundSender(e)))).toEqual([
      'spam-or-virus',
      'spam-or-virus',
    ]);
  });

  it('refuses a message without exactly one readable From address', () => {
    const cases = [[], ['a@reader.example', 'b@reader.example'], ['not an address']].map((from) =>
      outcome(judgeInboundSender(evidence({ from, dmarcVerdict: 'PASS' }))),
    );

    expect(cases).toEqual(['no-single-from', 'no-single-from', 'no-single-from']);
  });

  it('aligns a signing domain with its subdomains and parents only', () => {
    const pairs: [string, string][] = [
      ['reader.example', 'reader.example'],
      ['example.org', 'mail.example.org'],
      ['mail.example.org', 'example.org'],
      ['example.org', 'badexample.org'],
      ['attacker.example', 'reader.example'],
    ];

    expect(pairs.map(([d, from]) => domainsAligned(d, from))).toEqual([true, true, true, false, false]);
    expect(
      outcome(
        judgeInboundSender(
          evidence({
            from: ['x@news.example.org'],
            dmarcVerdict: 'GRAY',
            dkimVerdict: 'PASS',
            dkimSignatures: PARENT_ALIGNED,
          }),
        ),
      ),
    ).toBe('act:aligned-dkim');
  });

  it('reads d= from a folded DKIM-Signature header, case-insensitively', () => {
    expect(dkimSigningDomain('v=1; a=rsa-sha256;\r\n  D = Reader.Example. ; s=x')).toBe('reader.example');
    expect(dkimSigningDomain('v=1; s=x')).toBeUndefined();
  });
});
