import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** MIME boundaries are random per message; everything else in a preview `.eml` is stable. */
function normalise(path: string, body: Buffer): Buffer {
  if (!path.endsWith('.eml')) return body;
  return Buffer.from(body.toString('utf8').replace(/--_NmP-[0-9a-f]+-Part_/g, '--_NmP-BOUNDARY-Part_'));
}

/** Every file under `dir` with the SHA-256 of its bytes, by path: what the golden build pins. */
export async function outputManifest(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
  const manifest: Record<string, string> = {};
  for (const path of paths) {
    const body = normalise(path, await readFile(join(dir, path)));
    manifest[path] = createHash('sha256').update(body).digest('hex');
  }
  return manifest;
}
