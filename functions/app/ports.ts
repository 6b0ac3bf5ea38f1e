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
import type { Subscriber, SuppressionReason } from '../core/subscriber.ts';

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

/** Thrown when the subscriber store fails (throttling, network, bad cursor); the HTTP edge maps it to 503. */
export class SubscriberStoreError extends Error {
  override name = 'SubscriberStoreError';
}

/** A stored address that has no subscriber data, only a suppression. */
export interface SuppressionTombstone {
  kind: 'tombstone';
  addressHash: string;
  suppressionReason?: SuppressionReason;
  suppressedAt?: Date;
  version: number;
}

/** One page of confirmed subscribers; pass `cursor` back to get the next. */
export interface SubscriberPage {
  subscribers: Subscriber[];
  cursor?: string;
}

/** Where subscribers, suppressions and rate windows are kept (DynamoDB on AWS). */
export interface SubscriberStore {
  /** The record for an address hash (strongly consistent), or undefined. */
  findByAddressHash(addressHash: string): Promise<Subscriber | SuppressionTombstone | undefined>;
  /** The subscriber with this id (from a token), or undefined. Eventually consistent. */
  getById(id: string): Promise<Subscriber | undefined>;
  /** Writes `sub` if the stored version is `sub.version - 1` (or absent for version 1). */
  save(sub: Subscriber): Promise<'saved' | 'conflict'>;
  /** Whether an address must never be mailed (suppressed or erased). */
  isSuppressed(addressHash: string): Promise<boolean>;
  /** Suppresses an address at once, stored or not; keeps the first reason. Idempotent. */
  suppress(addressHash: string, reason: SuppressionReason, now: Date): Promise<void>;
  /** Replaces everything stored for an address with a suppression tombstone. Returns whether anything was there. */
  erase(addressHash: string, now: Date): Promise<boolean>;
  /** Pages through confirmed subscribers in stable order (sparse index; no full scan). */
  listConfirmed(options: { limit: number; cursor?: string }): Promise<SubscriberPage>;
  /** Every stored record (scan): for export and counting in the CLI only. */
  scanAll(): AsyncIterable<Subscriber | SuppressionTombstone>;
  /** Counts one hit in a fixed window and returns the window's total. */
  hit(scope: string, keyHash: string, now: Date, windowMs: number): Promise<number>;
}

/** One transactional message: one recipient, HTML and text bodies. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** Sends transactional mail such as confirmation links (SES `SendEmail` on AWS). */
export interface Mailer {
  send(message: OutgoingEmail): Promise<{ messageId: string }>;
}

/** A rendered confirmation email, ready for the mailer. */
export interface ConfirmationEmail {
  subject: string;
  html: string;
  text: string;
}

/** Renders confirmation emails for one site (a precompiled template on AWS). */
export type ConfirmationEmailRenderer = (input: {
  email: string;
  confirmUrl: string;
  /** What the reader chose, e.g. `Berlin, Lisbon` or `everything`; only when topics are configured. */
  topics?: string;
}) => Promise<ConfirmationEmail>;

/**
 * Hands confirmation requests to the confirm-mailer, which sends them outside the request (SQS on
 * AWS, the in-process queue locally). Resolves once the queue accepted every message.
 */
export interface ConfirmationQueue {
  enqueue(messages: readonly { body: string }[]): Promise<void>;
}
