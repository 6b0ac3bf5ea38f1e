import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SiteFiles, sitePath } from '../core/liquid/site-files.ts';

/**
 * {@link SiteFiles} over a site folder on disk. Paths that leave the folder or name a dotfile are never
 * read; `list` skips dot-folders and follows no symbolic links out of the folder.
 */
export function createFsSiteFiles(root: string): SiteFiles {
  return {
    async list(prefix) {
      const start = prefix === '' ? '' : sitePath(prefix);
      if (start === undefined) return [];
      const out: string[] = [];
      const visit = async (rel: string): Promise<void> => {
        let entries: Dirent[];
        try {
          entries = await readdir(join(root, rel), { withFileTypes: true });
        } catch {
          return;
        }
        for (const entry of entries) {
          if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
          const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
          if (entry.isDirectory()) await visit(child);
          else if (entry.isFile()) out.push(child);
        }
      };
      await visit(start);
      return out.sort();
    },
    async read(path) {
      const safe = sitePath(path);
      if (safe === undefined) return undefined;
      try {
        return await readFile(join(root, safe), 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
