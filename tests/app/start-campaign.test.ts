import { describe, expect, it } from 'vitest';
import { recordNotToMail, startCampaign } from '../../functions/app/start-campaign.ts';
import type { CampaignDelivery } from '../../functions/core/campaign.ts';
import type { RenderedEmail } from '../../functions/core/personalize.ts';
import { memoryCampaignRecords } from '../support/memory-campaign-ports.ts';

const NOW = new Date('2026-03-14T18:00:00Z');
const DELIVERY: CampaignDelivery = {
  postUrl: 'https://recaps.example.org/2026/03/14/pi-day/',
  siteUrl: 'https://recaps.example.org',
  from: { name: 'Recaps', address: 'recaps@recaps.example.org' },
};
const EMAIL: RenderedEmail = {
  postId: 'pi-day',
  subject: 'Pi Day Meetup',
  preheader: 'Three talks',
  html: '<p>Hello</p>',
  text: 'Hello',
  excerpted: false,
  htmlBytes: 12,
};

function ports(confirmed: number) {
  const campaigns = memoryCampaignRecords();
  const fanouts: string[] = [];
  return {
    campaigns,
    fanouts,
    deps: {
      campaigns,
      countConfirmed: async (at: Date) => (at.getTime() === NOW.getTime() ? confirmed : -1),
      startFanout: async (postId: string) => void fanouts.push(postId),
    },
  };
}

describe('startCampaign', () => {
  it('creates the campaign with the subscribers confirmed at its start, stores the email and starts fan-out', async () => {
    const { deps, campaigns, fanouts } = ports(42);

    const result = await startCampaign(deps, {
      postId: 'pi-day',
      email: EMAIL,
      delivery: DELIVERY,
      now: NOW,
    });

    expect(result.started).toBe(true);
    expect(campaigns.records.get('pi-day')).toMatchObject({
      kind: 'campaign',
      status: 'sending',
      recipientCount: 42,
      subject: 'Pi Day Meetup',
      startedAt: NOW,
      fanout: { done: false, page: 0, enqueued: 0 },
    });
    expect(campaigns.emails.get('pi-day')).toEqual(EMAIL);
    expect(fanouts).toEqual(['pi-day']);
  });

  it('starts nothing the second time for the same post id', async () => {
    const { deps, fanouts } = ports(3);
    await startCampaign(deps, { postId: 'pi-day', email: EMAIL, delivery: DELIVERY, now: NOW });

    const again = await startCampaign(deps, { postId: 'pi-day', email: EMAIL, delivery: DELIVERY, now: NOW });

    expect(again).toMatchObject({ started: false, existing: { kind: 'campaign', postId: 'pi-day' } });
    expect(fanouts).toEqual(['pi-day']);
  });

  it('never mails a post recorded as not to mail, and a record never overrides a campaign', async () => {
    const { deps, fanouts } = ports(3);

    const recorded = await recordNotToMail(deps, { postId: 'old', reason: 'too old', now: NOW });
    const started = await startCampaign(deps, { postId: 'old', email: EMAIL, delivery: DELIVERY, now: NOW });
    await startCampaign(deps, { postId: 'pi-day', email: EMAIL, delivery: DELIVERY, now: NOW });
    const late = await recordNotToMail(deps, { postId: 'pi-day', reason: 'too old', now: NOW });

    expect(recorded).toEqual({ recorded: true });
    expect(started).toMatchObject({ started: false, existing: { kind: 'not-to-mail', reason: 'too old' } });
    expect(late).toMatchObject({ recorded: false, existing: { kind: 'campaign' } });
    expect(fanouts).toEqual(['pi-day']);
  });
});
