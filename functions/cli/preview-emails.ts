import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BuildCache } from '../adapters/build-cache.ts';
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

/** What a preview worker is sent once the build knows which posts to preview. */
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
 * Starts rendering preview emails. On `worker` (see {@link startPreviewWorker}) they render alongside the
 * site, which the main thread builds meanwhile; loading the email libraries and inlining CSS then cost the
 * build no wall time on a machine with a second core. Without one, or if the worker fails in any way (a
 * post that cannot be copied to it, a broken template), they render in this thread when awaited, so every
 * error is the one the renderer throws here.
 */
export function startPreviewEmails(
  jobs: readonly PreviewJob[],
  options: PreviewOptions,
  worker: PreviewWorker | undefined,
): PendingPreviews {
  const here = { wait: () => renderPreviewEmails(jobs, options), cancel() {} };
  if (jobs.length === 0 || worker === undefined) {
    worker?.close();
    return here;
  }
  const previews = worker.render(jobs, options);
  return {
    wait: async () => (await previews) ?? here.wait(),
    cancel: () => worker.close(),
  };
}

/** Bump when what a kept preview holds, or what it is keyed by, changes. */
const PREVIEW_CACHE_FORMAT = 1;

/**
 * {@link startPreviewEmails} through the build cache: a preview whose inputs are unchanged since a build
 * kept it (the post and its HTML, the site settings, the newsletter templates' text; Herald's own code and
 * packages empty the cache when they change) is taken from the cache instead of being rendered again.
 */
export async function startCachedPreviewEmails(
  jobs: readonly PreviewJob[],
  options: PreviewOptions,
  startWorker: () => PreviewWorker | undefined,
  cache: BuildCache,
): Promise<PendingPreviews> {
  const templates = await templateTexts(options.templatesDir);
  const keys = jobs.map(({ rendered, name }) =>
    templates === undefined
      ? undefined
      : JSON.stringify([
          PREVIEW_CACHE_FORMAT,
          name,
          rendered.post,
          rendered.html,
          rendered.portableHtml,
          options.site,
          templates,
        ]),
  );
  const kept = keys.map((key) => (key === undefined ? undefined : decodePreview(cache.peek('preview', key))));
  const missing = jobs.filter((_, i) => kept[i] === undefined);
  const pending = startPreviewEmails(missing, options, missing.length > 0 ? startWorker() : undefined);
  return {
    cancel: pending.cancel,
    async wait() {
      const fresh = (await pending.wait()).values();
      return jobs.map((_, i) => {
        const have = kept[i];
        if (have) return have;
        const made: PreviewEmail | undefined = fresh.next().value;
        if (!made) throw new Error('internal: a preview email is missing');
        const key = keys[i];
        if (key !== undefined) cache.put('preview', key, encodePreview(made));
        return made;
      });
    },
  };
}

/** The newsletter template and its partials, as the renderer reads them; undefined when unreadable. */
async function templateTexts(dir: string): Promise<string[] | undefined> {
  try {
    const partials = (await readdir(join(dir, 'partials')).catch(() => [] as string[]))
      .filter((name) => name.endsWith('.mjml'))
      .sort();
    return await Promise.all([
      readFile(join(dir, 'newsletter.mjml'), 'utf8'),
      ...partials.flatMap((name) => [name, readFile(join(dir, 'partials', name), 'utf8')]),
    ]);
  } catch {
    return undefined;
  }
}

type StoredFile = { path: string; text: string } | { path: string; base64: string };

function encodePreview({ report, files }: PreviewEmail): string {
  const stored: StoredFile[] = files.map(({ path, body }) =>
    typeof body === 'string'
      ? { path, text: body }
      : { path, base64: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64') },
  );
  return JSON.stringify({ report, files: stored });
}

function decodePreview(stored: string | undefined): PreviewEmail | undefined {
  if (stored === undefined) return undefined;
  try {
    const { report, files } = JSON.parse(stored) as { report: EmailReport; files: StoredFile[] };
    return {
      report,
      files: files.map((f) =>
        'text' in f
          ? { path: f.path, body: f.text }
          : { path: f.path, body: Buffer.from(f.base64, 'base64') },
      ),
    };
  } catch {
    return undefined;
  }
}

/** A worker thread for preview emails, started before the build knows which posts it previews. */
export interface PreviewWorker {
  /**
   * Hands the jobs over (once); resolves to undefined when that failed in any way: the worker would not
   * start or load, a post could not be copied to it, or rendering threw there.
   */
  render(jobs: readonly PreviewJob[], options: PreviewOptions): Promise<PreviewEmail[] | undefined>;
  /** Stops the worker: nothing to preview, or the build failed. */
  close(): void;
}

/**
 * Starts a preview worker from `workerUrl` (the compiled CLI's `preview-worker.mjs`). It loads the email
 * libraries right away (mjml too when `shapeCacheDir` holds no compiled shape), while the main thread
 * builds the site.
 */
export function startPreviewWorker(workerUrl: URL, shapeCacheDir?: string): PreviewWorker {
  let worker: Worker | undefined;
  try {
    worker = new Worker(workerUrl, { workerData: { shapeCacheDir } });
  } catch {
    worker = undefined;
  }
  const exited = new Promise<undefined>((resolve) => {
    worker?.once('error', () => resolve(undefined));
    worker?.once('exit', () => resolve(undefined));
  });
  const close = () => void worker?.terminate();
  return {
    async render(jobs, options) {
      if (!worker) return undefined;
      const running = worker;
      const request: PreviewRequest = {
        jobs: jobs.map(({ rendered, name }) => ({
          rendered: { post: rendered.post, html: rendered.html, portableHtml: rendered.portableHtml },
          name,
        })),
        options,
      };
      const reply = new Promise<PreviewEmail[] | undefined>((resolve) => {
        running.once('message', (message: PreviewReply) => {
          resolve('previews' in message ? message.previews.map(withBuffers) : undefined);
          close();
        });
      });
      try {
        running.postMessage(request);
      } catch {
        close();
        return undefined;
      }
      return Promise.race([reply, exited]);
    },
    close,
  };
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

/** The worker thread's side, first step: starts loading the email libraries. */
export function preloadPreviewModules(shapeCacheDir: string | undefined): void {
  void Promise.all([
    import('../adapters/mjml-email-renderer.ts'),
    import('../core/preview-message.ts'),
    shapeCacheDir === undefined ? [] : readdir(shapeCacheDir).catch(() => []),
  ])
    .then(([renderer, , shapes]) => {
      // No compiled template shape kept: the first preview will need mjml itself.
      if (shapeCacheDir !== undefined && shapes.length === 0) renderer.preloadMjml();
    })
    .catch(() => undefined);
}

/** The worker thread's side: renders the request it was sent and posts the result back. */
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
