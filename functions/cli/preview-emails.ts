import { Worker } from 'node:worker_threads';
import type { OutputFile } from '../adapters/output-fs.ts';
import type { RenderedPost, SiteConfig } from '../core/model.ts';

/** One preview email written by the build. */
export interface EmailReport {
  postId: string;
  /** File name stem under `email/`: the post slug, or the post id when two mailed posts share a slug. */
  name: string;
  subject: string;
  htmlBytes: number;
  excerpted: boolean;
}

/** A post to preview: as the site renders it, and the file name stem of its preview. */
export interface PreviewJob {
  rendered: Pick<RenderedPost, 'post' | 'html' | 'portableHtml'>;
  name: string;
}

export interface PreviewOptions {
  site: SiteConfig;
  /** Folder holding `newsletter.mjml`. */
  templatesDir: string;
  /** Where compiled template shapes are kept between builds. */
  cacheDir: string;
}

/** One preview: its `.html`, `.txt` and `.eml` files under `email/`, and what the summary says of it. */
export interface PreviewEmail {
  report: EmailReport;
  files: OutputFile[];
}

/** The request a preview worker gets as its `workerData`. */
interface PreviewRequest {
  jobs: PreviewJob[];
  options: PreviewOptions;
}

/** What a preview worker posts back. */
type PreviewReply = { previews: PreviewEmail[] } | { failed: string };

/**
 * Renders preview emails in this thread, in the order of `jobs`. MJML, juice, html-to-text and
 * nodemailer load only when there is an email to preview.
 *
 * @throws EmailTemplateError for a broken newsletter template.
 */
export async function renderPreviewEmails(jobs: readonly PreviewJob[], options: PreviewOptions) {
  if (jobs.length === 0) return [];
  const [{ createEmailRenderer }, { buildPreviewMessage }] = await Promise.all([
    import('../adapters/mjml-email-renderer.ts'),
    import('../core/preview-message.ts'),
  ]);
  const renderer = createEmailRenderer({ templatesDir: options.templatesDir, cacheDir: options.cacheDir });
  const previews: PreviewEmail[] = [];
  for (const { rendered, name } of jobs) {
    const email = await renderer.render(rendered, options.site);
    // The post's own date keeps the preview's Date header stable between builds.
    const preview = await buildPreviewMessage(email, options.site, { date: rendered.post.date });
    previews.push({
      report: {
        postId: rendered.post.id,
        name,
        subject: email.subject,
        htmlBytes: email.htmlBytes,
        excerpted: email.excerpted,
      },
      files: [
        { path: `email/${name}.html`, body: preview.html },
        { path: `email/${name}.txt`, body: preview.text },
        { path: `email/${name}.eml`, body: preview.eml },
      ],
    });
  }
  return previews;
}

/** Preview emails being rendered. */
export interface PendingPreviews {
  /** The previews, in the order of the jobs. @throws what rendering them in this thread throws. */
  wait(): Promise<PreviewEmail[]>;
  /** Stops a worker still rendering: the build failed and will not wait. */
  cancel(): void;
}

/**
 * Starts rendering preview emails. With `workerUrl` (the compiled CLI's `preview-worker.mjs`) they render
 * on a worker thread, alongside the site on the main one; loading the email libraries and inlining CSS then
 * cost the build no wall time on a machine with a second core. Without it, or if the worker fails in any
 * way (a post that cannot be copied to it, a broken template), they render in this thread when awaited, so
 * every error is the one the renderer throws here.
 */
export function startPreviewEmails(
  jobs: readonly PreviewJob[],
  options: PreviewOptions,
  workerUrl: URL | undefined,
): PendingPreviews {
  const here = { wait: () => renderPreviewEmails(jobs, options), cancel() {} };
  if (jobs.length === 0 || workerUrl === undefined) return here;
  const onWorker = renderOnWorker(jobs, options, workerUrl);
  return {
    wait: async () => (await onWorker.previews) ?? here.wait(),
    cancel: onWorker.cancel,
  };
}

/**
 * Renders preview emails on a worker thread started from `workerUrl`. `previews` is undefined when that
 * failed in any way: the worker would not start or load, a post could not be copied to it, or rendering
 * threw there.
 */
export function renderOnWorker(
  jobs: readonly PreviewJob[],
  options: PreviewOptions,
  workerUrl: URL,
): { previews: Promise<PreviewEmail[] | undefined>; cancel(): void } {
  const request: PreviewRequest = {
    jobs: jobs.map(({ rendered, name }) => ({
      rendered: { post: rendered.post, html: rendered.html, portableHtml: rendered.portableHtml },
      name,
    })),
    options,
  };
  let worker: Worker;
  try {
    worker = new Worker(workerUrl, { workerData: request });
  } catch {
    return { previews: Promise.resolve(undefined), cancel() {} };
  }
  const previews = new Promise<PreviewEmail[] | undefined>((resolve) => {
    worker.once('message', (reply: PreviewReply) => {
      resolve('previews' in reply ? reply.previews.map(withBuffers) : undefined);
      void worker.terminate();
    });
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  return { previews, cancel: () => void worker.terminate() };
}

/** Buffers cross threads as plain Uint8Arrays; the writer takes either, tests compare Buffers. */
function withBuffers(preview: PreviewEmail): PreviewEmail {
  return {
    ...preview,
    files: preview.files.map((f) =>
      typeof f.body === 'string'
        ? f
        : { ...f, body: Buffer.from(f.body.buffer, f.body.byteOffset, f.body.byteLength) },
    ),
  };
}

/** The worker thread's side: renders the request it was started with and posts the result back. */
export async function answerPreviewRequest(
  request: PreviewRequest,
  post: (reply: PreviewReply) => void,
): Promise<void> {
  try {
    post({ previews: await renderPreviewEmails(request.jobs, request.options) });
  } catch (error) {
    post({ failed: error instanceof Error ? error.message : String(error) });
  }
}
