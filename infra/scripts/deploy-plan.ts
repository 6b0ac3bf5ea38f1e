/**
 * Decides how a push to main reaches AWS: a change that touches only posts, pages and assets under
 * `content/` is copied straight into the buckets (seconds), anything else runs `cdk deploy`.
 *
 * The copy has the same effect as the stack's two BucketDeployments:
 * - `content/**` → content bucket, pruned (a file removed from the repository is removed from the
 *   bucket, which unpublishes the post);
 * - `content/assets/**` → site bucket under `assets/`, never pruned, then a CloudFront invalidation
 *   of `/assets/*`.
 * `content/site.yml` and `content/_config.yml` are read by `cdk synth` (site URL, From address…), so
 * changing them needs a deploy.
 *
 * Self-contained (no imports beyond node:) so the workflow runs it with plain Node 22 before `npm ci`:
 *   git diff -z --name-status --no-renames BEFORE AFTER | node --experimental-strip-types infra/scripts/deploy-plan.ts DIR
 * prints `mode=content|full` and `reason=…` (for $GITHUB_OUTPUT) and writes the NUL-separated file
 * lists `upload`, `remove` and `assets` into DIR.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One line of `git diff --name-status --no-renames`: A(dded), M(odified), D(eleted), T(ype change). */
export interface FileChange {
  status: string;
  path: string;
}

/** What the workflow does for one push. */
export type DeployPlan =
  | { mode: 'full'; reason: string }
  | {
      mode: 'content';
      reason: string;
      /** Repository paths to copy to the content bucket (key = path without `content/`). */
      upload: string[];
      /** Repository paths whose content-bucket objects are deleted. */
      remove: string[];
      /** Repository paths under `content/assets/` also copied to the site bucket. */
      assets: string[];
    };

const CONTENT = 'content/';
/** Read by `cdk synth` (infra/config.ts): a change must go through a deploy. */
const SYNTH_INPUTS = new Set(['content/site.yml', 'content/_config.yml']);

/** Parses `git diff -z --name-status --no-renames` output (NUL-separated status, path pairs). */
export function parseNameStatus(raw: string): FileChange[] | undefined {
  const fields = raw.split('\0');
  if (fields.at(-1) === '') fields.pop();
  if (fields.length % 2 !== 0) return undefined;
  const changes: FileChange[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const status = fields[i]?.trim() ?? '';
    const path = fields[i + 1] ?? '';
    if (!/^[ACDMTU]/.test(status) || path === '') return undefined;
    changes.push({ status: status.charAt(0), path });
  }
  return changes;
}

/** The plan for a push; `undefined` changes means the list is unknown (first push, history rewritten). */
export function planDeploy(changes: readonly FileChange[] | undefined): DeployPlan {
  if (changes === undefined) return { mode: 'full', reason: 'the changed files are unknown' };
  if (changes.length === 0) return { mode: 'full', reason: 'no changed files listed' };
  const outside = changes.find((c) => !c.path.startsWith(CONTENT));
  if (outside) return { mode: 'full', reason: `${outside.path} is code or infrastructure` };
  const config = changes.find((c) => SYNTH_INPUTS.has(c.path));
  if (config) return { mode: 'full', reason: `${config.path} is read by cdk synth` };
  const upload = changes.filter((c) => c.status !== 'D').map((c) => c.path);
  const remove = changes.filter((c) => c.status === 'D').map((c) => c.path);
  const assets = upload.filter((p) => p.startsWith(`${CONTENT}assets/`));
  return {
    mode: 'content',
    reason: `only content changed: ${upload.length} to upload, ${remove.length} to remove`,
    upload,
    remove,
    assets,
  };
}

function main(outDir: string | undefined): void {
  const raw = readFileSync(0, 'utf8');
  const plan = planDeploy(raw.trim() === 'UNKNOWN' ? undefined : parseNameStatus(raw));
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    const lists = plan.mode === 'content' ? plan : { upload: [], remove: [], assets: [] };
    for (const name of ['upload', 'remove', 'assets'] as const) {
      writeFileSync(join(outDir, name), lists[name].map((p) => `${p}\0`).join(''));
    }
  }
  process.stdout.write(`mode=${plan.mode}\nreason=${plan.reason.replace(/[\r\n]/g, ' ')}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv[2]);
