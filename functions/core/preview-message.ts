/**
 * The message a sample subscriber would receive, for previews written by `herald build`.
 */
import { buildMime } from './build-mime.ts';
import type { SiteConfig } from './model.ts';
import { compilePersonalizer, type RenderedEmail } from './personalize.ts';

/** The address previews are addressed to; `example.com` is reserved and never delivers. */
export const PREVIEW_RECIPIENT = 'reader@example.com';

/**
 * The complete MIME message a sample subscriber would receive (for `herald build` →
 * `OUT/email/<slug>.eml`), with its personalised HTML and text parts.
 */
export async function buildPreviewMessage(
  email: RenderedEmail,
  site: SiteConfig,
  options: { date: Date },
): Promise<{ html: string; text: string; eml: Buffer }> {
  const siteRoot = `${site.url}${site.baseurl}`;
  const unsubscribeUrl = `${siteRoot}/api/unsubscribe?token=sample-token`;
  const personal = compilePersonalizer(email)({
    email: PREVIEW_RECIPIENT,
    unsubscribeUrl,
    manageUrl: `${siteRoot}/api/preferences?token=sample-token`,
    viewUrl: email.postUrl ?? `${siteRoot}/`,
  });
  const host = new URL(site.url).hostname;
  // Message-ID local parts allow only atext and dots; ids from file names nearly always qualify.
  const localId = email.postId.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '-');
  const { replyTo, unsubscribeMailto } = site.newsletter;
  const eml = await buildMime({
    from: { name: site.newsletter.fromName, address: site.newsletter.fromAddress },
    to: PREVIEW_RECIPIENT,
    ...(replyTo ? { replyTo } : {}),
    subject: personal.subject,
    html: personal.html,
    text: personal.text,
    messageId: `<preview.${localId}@${host}>`,
    date: options.date,
    listUnsubscribe: unsubscribeMailto
      ? { url: unsubscribeUrl, mailto: unsubscribeMailto }
      : { url: unsubscribeUrl },
    headers: { 'X-Herald-Post': email.postId, 'X-Herald-Preview': 'true' },
  });
  return { html: personal.html, text: personal.text, eml };
}
