/**
 * Port: the files of a Jekyll site that Liquid may read, by path relative to the site folder with `/`
 * separators (e.g. `_includes/note.html`, `_data/releases.yml`). Implemented by the filesystem adapter
 * (`herald build`, `check`, `dev`) and the S3 content adapter (the publish Lambda).
 */
export interface SiteFiles {
  /** Paths of the files below `prefix` (a folder such as `_data/`), subfolders included, sorted. */
  list(prefix: string): Promise<string[]>;
  /** The file's text, or `undefined` when there is no such file. */
  read(path: string): Promise<string | undefined>;
}

/** A {@link SiteFiles} over files held in memory (tests, and content already read). */
export function memorySiteFiles(files: Record<string, string>): SiteFiles {
  return {
    list: async (prefix) =>
      Object.keys(files)
        .filter((p) => p.startsWith(prefix))
        .sort(),
    read: async (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
  };
}

/**
 * Normalises a path inside the site: `/`-separated, no leading `/`, `.` segments removed. Returns
 * `undefined` for a path that leaves the site (`..`) or names a dotfile/folder, which Liquid may never read.
 */
export function sitePath(path: string): string | undefined {
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' || part.startsWith('.')) return undefined;
    parts.push(part);
  }
  return parts.length === 0 ? undefined : parts.join('/');
}

/**
 * A {@link SiteFiles} that lists each prefix and reads each path once, for the life of one publish: the
 * post's own render and the refresh of posts that list others read the same files.
 */
export function memoizedSiteFiles(files: SiteFiles): SiteFiles {
  const lists = new Map<string, Promise<string[]>>();
  const reads = new Map<string, Promise<string | undefined>>();
  return {
    async list(prefix) {
      let listed = lists.get(prefix);
      if (!listed) {
        listed = files.list(prefix);
        lists.set(prefix, listed);
      }
      return [...(await listed)];
    },
    read(path) {
      let text = reads.get(path);
      if (!text) {
        text = files.read(path);
        reads.set(path, text);
      }
      return text;
    },
  };
}
