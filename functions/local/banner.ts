/**
 * The one banner `npm start` prints when the local cloud is ready: where everything is, what the
 * first start did with the existing posts, and how to start over. Pure text; the runtime gathers
 * the facts.
 */
import { FEEDS } from '../core/feeds.ts';

/** Everything the banner shows. */
export interface BannerInfo {
  /** Site root with baseurl and a trailing slash, e.g. `http://localhost:3000/`. */
  siteUrl: string;
  inboxUrl: string;
  /** As the user typed it (relative paths read better). */
  dataDir: string;
  contentDir: string;
  readyMs: number;
  /** Posts on the site now. */
  posts: number;
  /** Posts recorded as not to be mailed, by reason (too old, before `newsletter.since`, …). */
  notMailed: number;
  campaigns: number;
  confirmedSubscribers: number;
  maxAgeDays: number;
  /** Posts that failed to publish at start (their problems were printed above). */
  failed: number;
  /** Future-dated posts waiting for their date. */
  scheduled: number;
  demoAdded?: number;
  /** Confirmed readers per topic (and of everything), when topics are configured. */
  topicCounts?: { name: string; readers: number }[];
}

const label = (name: string) => `  ${name.padEnd(16)} `;

/** The banner's lines (no trailing newline on each). */
export function formatBanner(info: BannerInfo): string[] {
  const site = info.siteUrl.endsWith('/') ? info.siteUrl : `${info.siteUrl}/`;
  const data = info.dataDir.replace(/\/+$/, '');
  const seconds = (info.readyMs / 1000).toFixed(1);
  const lines = [
    '',
    `  Herald is running on this machine (ready in ${seconds} s). No AWS account involved.`,
    '',
    `${label('Site')}${site}`,
    `${label('Subscribe page')}${site}subscribe.html`,
    `${label('Feeds')}${FEEDS.map((f) => `${site}${f.file}`).join('  ')}`,
    `${label('Local inbox')}${info.inboxUrl}  (every email sent; raw copies in ${data}/outbox/*.eml)`,
    `${label('Data')}${data}/  (subscribers: dynamo/, buckets: s3/, token-keys.json)`,
    `${label('Start over')}herald dev --reset  (or npm start -- --reset; deletes everything in ${data}/)`,
    '',
  ];
  const postLine = `${info.posts} post${info.posts === 1 ? '' : 's'} on the site`;
  const parts = [postLine];
  parts.push(info.campaigns > 0 ? `${info.campaigns} mailed` : 'none mailed');
  if (info.notMailed > 0) parts.push(`${info.notMailed} never to be mailed`);
  if (info.scheduled > 0) parts.push(`${info.scheduled} scheduled for a later date`);
  if (info.failed > 0) parts.push(`${info.failed} not published (see the problems above)`);
  lines.push(`${label('Posts')}${parts.join(', ')}`);
  if (info.notMailed > 0) {
    lines.push(
      `${label('')}Posts dated more than ${info.maxAgeDays} days (newsletter.max_age_days) before they were`,
      `${label('')}first published only go on the site and feeds, so the back catalogue is never mailed.`,
    );
  }
  lines.push(
    `${label('')}Save a new post dated today in ${info.contentDir}/posts/ to publish it and mail it.`,
    `${label('Subscribers')}${info.confirmedSubscribers} confirmed${
      info.demoAdded ? ` (${info.demoAdded} demo readers added)` : ''
    }${info.confirmedSubscribers === 0 ? '; subscribe on the page above, or add test readers with --demo-subscribers 100' : ''}`,
  );
  if (info.topicCounts) {
    lines.push(`${label('Topics')}${info.topicCounts.map((t) => `${t.name} ${t.readers}`).join(', ')}`);
  }
  lines.push('', `  Watching ${info.contentDir}/ for changes. Press Ctrl+C to stop.`, '');
  return lines;
}
