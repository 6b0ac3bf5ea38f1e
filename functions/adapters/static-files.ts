/**
 * The one static file server: a folder served the way S3 + CloudFront serve the site bucket
 * (`x/` → `x/index.html`, a folder without the slash → redirect), never anything outside it.
 * `herald preview` serves the build output with it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { contentTypeFor } from '../core/content-type.ts';

/** Resolves a URL path inside `dir`, or undefined when it would leave it (`..`, encoded slashes, NUL). */
export function resolveInside(dir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const base = resolve(dir);
  const full = resolve(base, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  return full === base || full.startsWith(base + sep) ? full : undefined;
}

export async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** Streams one file with its content type. */
export async function sendFile(res: ServerResponse, file: string, size: number, head: boolean, status = 200) {
  res.writeHead(status, {
    'Content-Type': contentTypeFor(file),
    'Content-Length': size,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (head) {
    res.end();
    return;
  }
  await new Promise<void>((done) => {
    createReadStream(file)
      .on('error', () => res.destroy())
      .on('close', done)
      .pipe(res);
  });
}

/** Serves `dir` + `path` the way S3 + CloudFront will: `x/` → `x/index.html`, `x` (a folder) → redirect. */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  dir: string,
  path: string,
  urlPrefix: string,
  notFound: () => Promise<void>,
): Promise<void> {
  const head = req.method === 'HEAD';
  const full = resolveInside(dir, path);
  if (!full) return notFound();
  let info = await statOrUndefined(full);
  let file = full;
  if (info?.isDirectory()) {
    if (!path.endsWith('/')) {
      res.writeHead(301, { Location: `${urlPrefix}${path}/` });
      res.end();
      return;
    }
    file = join(full, 'index.html');
    info = await statOrUndefined(file);
  }
  if (!info?.isFile()) return notFound();
  await sendFile(res, file, info.size, head);
}
