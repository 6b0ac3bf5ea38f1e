// Rendering one 10,000-recipient mailing two ways, in a fresh process. Prints one JSON line.
//   (a) compile MJML once per post, then compilePersonalizer + one fill per recipient;
//   (b) compile MJML (Mustache + mjml2html + html-to-text) again for every recipient.
// (b) is timed on a sample and extrapolated to 10,000.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { createEmailRenderer } from '../functions/adapters/mjml-email-renderer.ts';
import { buildMime } from '../functions/core/build-mime.ts';
import { parsePost } from '../functions/core/parse-post.ts';
import { compilePersonalizer, type Recipient } from '../functions/core/personalize.ts';
import { renderPost } from '../functions/core/render-post.ts';
import { parseSiteConfig } from '../functions/core/site-config.ts';

const RECIPIENTS = 10_000;
const sampleSize = Number(process.argv[2] ?? 200);
const root = new URL('../', import.meta.url);
const templatesDir = fileURLToPath(new URL('templates/', root));
const postFile = fileURLToPath(new URL('content/posts/2026-09-24-berlin-serving-night.md', root));

const site = parseSiteConfig(
  parseYaml(await readFile(new URL('content/site.yml', root), 'utf8')),
  'content/site.yml',
  'herald',
);
const post = parsePost({ path: postFile, source: await readFile(postFile, 'utf8') }, site);
const rendered = renderPost(post, site);
const recipient = (i: number): Recipient => ({
  email: `reader${i}@example.com`,
  name: `Reader ${i}`,
  unsubscribeUrl: `${site.url}/api/unsubscribe?token=tok${i}`,
  viewUrl: post.url,
});

const renderer = createEmailRenderer({ templatesDir });
await renderer.render(rendered, site); // warm up: mjml import, template read, JIT

// (a)
let t = performance.now();
const email = await renderer.render(rendered, site);
const personalize = compilePersonalizer(email);
let sink = 0;
for (let i = 0; i < RECIPIENTS; i++) sink += personalize(recipient(i)).html.length;
const onceMs = performance.now() - t;

// (a) plus the MIME message per recipient, for the send path's budget
t = performance.now();
const mimeSample = 1000;
for (let i = 0; i < mimeSample; i++) {
  const p = personalize(recipient(i));
  const eml = await buildMime({
    from: { name: site.newsletter.fromName, address: site.newsletter.fromAddress },
    to: recipient(i).email,
    subject: p.subject,
    html: p.html,
    text: p.text,
    messageId: `<bench.${i}@bench.example.org>`,
    date: new Date(0),
    listUnsubscribe: { url: recipient(i).unsubscribeUrl },
  });
  sink += eml.length;
}
const withMimeMs = ((performance.now() - t) / mimeSample) * RECIPIENTS;

// (b)
t = performance.now();
for (let i = 0; i < sampleSize; i++) {
  const fresh = await renderer.render(rendered, site);
  sink += compilePersonalizer(fresh)(recipient(i)).html.length;
}
const perSampleMs = performance.now() - t;
const perRecipientMs = (perSampleMs / sampleSize) * RECIPIENTS;

process.stdout.write(
  `${JSON.stringify({
    recipients: RECIPIENTS,
    htmlBytes: email.htmlBytes,
    once: { ms: onceMs, perSecond: RECIPIENTS / (onceMs / 1000) },
    onceWithMime: {
      msExtrapolated: withMimeMs,
      perSecond: RECIPIENTS / (withMimeMs / 1000),
      sample: mimeSample,
    },
    perRecipient: {
      sample: sampleSize,
      sampleMs: perSampleMs,
      msExtrapolated: perRecipientMs,
      perSecond: RECIPIENTS / (perRecipientMs / 1000),
    },
    ratio: perRecipientMs / onceMs,
    sink,
  })}\n`,
);
