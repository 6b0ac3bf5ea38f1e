import { readdir } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { sendFile, serveStatic, statOrUndefined } from '../adapters/static-files.ts';
import { escapeHtml } from '../core/escape-html.ts';

export interface DevServerOptions {
  /** Build output folder holding `site/` and `email/`. */
  root: string;
  /**
   * The site's baseurl (`''` or `/blog`); the site is served under it, as in production. A function
   * lets `herald dev` follow a baseurl edited while it runs.
   */
  baseurl: string | (() => string);
}

const EMAIL_PREFIX = '/_email/';

function send(res: ServerResponse, status: number, type: string, body: string, head = false): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : body);
}

async function emailIndex(emailDir: string): Promise<string> {
  let names: string[] = [];
  try {
    names = (await readdir(emailDir)).filter((n) => /\.(html|txt|eml)$/.test(n)).sort();
  } catch {
    // No mailable posts: no email folder.
  }
  const stems = [...new Set(names.map((n) => n.replace(/\.(html|txt|eml)$/, '')))];
  const rows = stems
    .map((stem) => {
      const links = ['html', 'txt', 'eml']
        .filter((ext) => names.includes(`${stem}.${ext}`))
        .map((ext) => `<a href="${EMAIL_PREFIX}${encodeURIComponent(stem)}.${ext}">${ext}</a>`)
        .join(' · ');
      return `<li><strong>${escapeHtml(stem)}</strong> — ${links}</li>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Email previews</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.6}</style>
</head><body><main>
<h1>Email previews</h1>
<p>What a sample subscriber receives for each post that would be mailed: the HTML part, the text part and the complete message (.eml).</p>
${rows ? `<ul>\n${rows}\n</ul>` : '<p>No post would be mailed.</p>'}
</main></body></html>
`;
}

/**
 * A small static server for `herald dev`: the site under its baseurl, email previews under
 * `/_email/`. GET and HEAD only; never serves anything outside `root`.
 */
export function createDevServer(options: DevServerOptions): Server {
  const siteDir = join(options.root, 'site');
  const emailDir = join(options.root, 'email');
  const baseurl = options.baseurl;

  return createServer(async (req, res) => {
    const base = typeof baseurl === 'function' ? baseurl() : baseurl;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      const head = req.method === 'HEAD';

      if (req.method === 'POST' && path.startsWith(`${base}/api/`)) {
        // The subscription API is not part of `herald dev` yet; answer the form's JSON contract.
        const message = 'The subscription API does not run in `herald dev`; nothing was stored.';
        const json = (req.headers['content-type'] ?? '').includes('application/json');
        if (json) send(res, 501, 'application/json; charset=utf-8', JSON.stringify({ ok: false, message }));
        else send(res, 501, 'text/plain; charset=utf-8', `${message}\n`);
        return;
      }
      if (req.method !== 'GET' && !head) {
        res.writeHead(405, { Allow: 'GET, HEAD' });
        res.end();
        return;
      }

      const notFound = async () => {
        const page = join(siteDir, '404.html');
        const info = await statOrUndefined(page);
        if (info?.isFile()) await sendFile(res, page, info.size, head, 404);
        else send(res, 404, 'text/plain; charset=utf-8', 'Not found\n', head);
      };

      if (path === '/_email' || path === EMAIL_PREFIX) {
        if (path === '/_email') {
          res.writeHead(301, { Location: EMAIL_PREFIX });
          res.end();
          return;
        }
        send(res, 200, 'text/html; charset=utf-8', await emailIndex(emailDir), head);
        return;
      }
      if (path.startsWith(EMAIL_PREFIX)) {
        await serveStatic(req, res, emailDir, path.slice(EMAIL_PREFIX.length - 1), '/_email', notFound);
        return;
      }

      if (base) {
        if (path === '/') {
          res.writeHead(302, { Location: `${base}/` });
          res.end();
          return;
        }
        if (path !== base && !path.startsWith(`${base}/`)) return await notFound();
      }
      await serveStatic(req, res, siteDir, path.slice(base.length) || '/', base, notFound);
    } catch {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error\n');
      else res.destroy();
    }
  });
}
