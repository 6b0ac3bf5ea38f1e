/**
 * The ports the use cases are written against, named by the role they play, not the technology
 * behind them. Adapters implement them (S3, DynamoDB, SES, SQS, EventBridge Scheduler, mjml, the
 * filesystem); the local runtime and the tests pass other implementations.
 */
import type { SiteFile } from '../core/build-site.ts';
import type { JekyllSettings } from '../core/jekyll-config.ts';
import type { SiteFiles } from '../core/liquid/site-files.ts';
import type { RenderedPost, SiteConfig } from '../core/model.ts';
import type { RenderedEmail } from '../core/personalize.ts';
import type { PostFragments } from '../core/plan-site-update.ts';
import type { PostIndex } from '../core/post-index.ts';

/** Structured log lines: a static message plus context. */
export interface Log {
  info(message: string, context: Record<string, unknown>): void;
  warn(message: string, context: Record<string, unknown>): void;
  error(message: string, context: Record<string, unknown>): void;
}

/** One post source as stored. */
export interface StoredPost {
  key: string;
  source: string;
  etag?: string;
  /** When the object was last written: a Jekyll draft's date (as its file time is in `jekyll --drafts`). */
  lastModified?: Date;
}

/** The site config with where it came from. */
export interface LoadedSite {
  site: SiteConfig;
  /** `site.yml` (Herald layout) or `_config.yml` (Jekyll layout). */
  file: string;
  layout: 'herald' | 'jekyll';
  etag?: string;
  /** For the Jekyll layout: defaults, future, unpublished, the whole config for Liquid. */
  jekyll?: JekyllSettings;
}

/** Where published posts and the site config are read from (the content bucket on AWS). */
export interface PostSource {
  /** The post at `key`, or undefined when it no longer exists. */
  readPost(key: string): Promise<StoredPost | undefined>;
  /** Whether an object exists at `key` now. */
  exists(key: string): Promise<boolean>;
  /**
   * The site config: `site.yml`, or `_config.yml` when there is none.
   * @throws ContentError (from parseSiteConfig) naming file, line and field when it is invalid.
   */
  loadSite(): Promise<LoadedSite>;
  /** The source's files as a Jekyll site's (`_includes/`, `_data/`, other posts), for Liquid. */
  files?(): SiteFiles;
}

/** Objects read, written and deleted, for logs, tests and the benchmark. */
export interface IoCounter {
  reads: number;
  /** Conditional reads answered "not modified" (no body). */
  notModified: number;
  writes: number;
  deletes: number;
}

/** Where the site is written and publishing keeps its state (the site bucket on AWS). */
export interface SiteStore {
  writeFiles(files: readonly SiteFile[]): Promise<void>;
  deleteFiles(paths: readonly string[]): Promise<void>;
  /** The index, or an empty one when none is stored yet. */
  readIndex(): Promise<PostIndex>;
  writeIndex(index: PostIndex): Promise<void>;
  /** Stored fragments of these posts; missing ones are absent from the map. */
  readFragments(ids: readonly string[]): Promise<Map<string, PostFragments>>;
  writeFragments(id: string, fragments: PostFragments): Promise<void>;
  deleteFragments(id: string): Promise<void>;
}

/** Turns a rendered post into the email sent to every subscriber (mjml on AWS). */
export interface EmailRenderer {
  render(rendered: RenderedPost, site: SiteConfig): Promise<RenderedEmail>;
}

/** One schedule to create. */
export interface PublishSchedule {
  /** One per post id (`scheduleName`), so repeated events never stack schedules. */
  name: string;
  at: Date;
  /** Content bucket key re-delivered at `at`. */
  key: string;
}

/** Re-delivers a future-dated post when its time comes (EventBridge Scheduler on AWS). */
export interface PublishScheduler {
  /** `created`, `unchanged` (same time and key already scheduled) or `replaced` (date or key changed). */
  schedule(schedule: PublishSchedule): Promise<'created' | 'unchanged' | 'replaced'>;
}
