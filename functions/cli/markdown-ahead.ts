import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { Post } from '../core/model.ts';
import type { StrippedHtml } from '../core/strip-redirects.ts';

/**
 * Markdown rendered on a second core while the main thread renders the posts' Liquid. A Jekyll blog's
 * Liquid runs post by post on the main thread before the site is built; each body is sent to a worker
 * thread as soon as its Liquid is done, and the site, when it needs a post's HTML, takes it from there.
 * Neither thread renders a post twice: each claims a post before rendering it (one slot per post in
 * shared memory), so the main thread renders what the worker has not reached and waits only for a post
 * the worker is rendering at that moment. Anything the worker does not deliver (it failed to start, died,
 * or could not render a post) is rendered on the main thread, whose result and errors are the
 * reference: the worker runs the same `renderMarkdownReport`.
 */
export interface MarkdownAhead {
  /** Starts rendering a post's Markdown on the worker. */
  send(post: Post): void;
  /**
   * The worker's rendering of the post's body (sent as the body of a post from the same file), or
   * `undefined`: the caller renders it, and the worker will not.
   */
  take(post: Post): StrippedHtml | undefined;
  /** How many renders were taken from the worker. */
  readonly taken: number;
  /** How many renders the worker has delivered so far, taken or not (for tests). */
  readonly delivered: number;
  /** Stops the worker; later `take`s return `undefined`. */
  close(): void;
}

/** A post's slot in the shared claims: who renders it. */
export const FREE = 0;
export const WORKER = 1;
export const MAIN = 2;
export const DONE = 3;
/** Posts beyond this many are not sent (the main thread renders them). */
export const SLOTS = 1 << 16;
/**
 * At most this many posts are sent and not taken yet: the Liquid of a large blog is rendered long before
 * its pages are written, and the bodies and HTML waiting for them (copies, on the worker's heap) must not
 * hold the archive twice over. Later posts are rendered by the main thread.
 */
export const AHEAD_LIMIT = 1000;

/** What the worker is started with. */
export interface MarkdownWorkerData {
  claims: SharedArrayBuffer;
  results: MessagePort;
}
/** A body to render. */
export interface MarkdownRequest {
  seq: number;
  body: string;
}
/** A render, or `failed` when the worker could not render it. */
export type MarkdownReply = { seq: number } & ({ html: string; removed: string[] } | { failed: true });

/** Longest the main thread waits for a post the worker is rendering before rendering it itself. */
const WAIT_LIMIT_MS = 10_000;

/** Starts the worker (`markdown-worker.mjs` of the compiled CLI). */
export function startMarkdownAhead(
  workerUrl: URL,
  { aheadLimit = AHEAD_LIMIT }: { aheadLimit?: number } = {},
): MarkdownAhead {
  const claims = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  const { port1: results, port2 } = new MessageChannel();
  let worker: Worker | undefined;
  try {
    const data: MarkdownWorkerData = { claims: claims.buffer as SharedArrayBuffer, results: port2 };
    worker = new Worker(workerUrl, { workerData: data, transferList: [port2] });
    worker.unref();
    worker.on('error', () => close());
    worker.on('exit', () => close());
  } catch {
    worker = undefined;
  }
  // By file, not by body: hashing every body for a Map took about 15 ms per 1,000 posts.
  const sent = new Map<string, { seq: number; body: string }>();
  const replies = new Map<number, MarkdownReply>();
  let next = 1;
  let taken = 0;
  let delivered = 0;
  let closed = worker === undefined;

  function close() {
    if (closed) return;
    closed = true;
    void worker?.terminate();
    results.close();
    sent.clear();
    replies.clear();
  }
  const drain = () => {
    for (let m = receiveMessageOnPort(results); m; m = receiveMessageOnPort(results)) {
      const reply = m.message as MarkdownReply;
      replies.set(reply.seq, reply);
      delivered++;
    }
  };
  const ready = (seq: number): StrippedHtml | undefined => {
    const reply = replies.get(seq);
    if (!reply) return undefined;
    replies.delete(seq);
    if ('failed' in reply) return undefined;
    taken++;
    return { html: reply.html, removed: reply.removed };
  };

  return {
    send({ sourcePath, body }) {
      if (closed || next >= SLOTS || sent.size >= aheadLimit || sent.has(sourcePath)) return;
      const seq = next++;
      sent.set(sourcePath, { seq, body });
      try {
        worker?.postMessage({ seq, body } satisfies MarkdownRequest);
      } catch {
        close();
      }
    },
    take({ sourcePath, body }) {
      const request = closed ? undefined : sent.get(sourcePath);
      if (!request) return undefined;
      sent.delete(sourcePath);
      if (request.body !== body) return undefined;
      const { seq } = request;
      drain();
      const known = ready(seq);
      if (known) return known;
      // Not rendered yet: ours, unless the worker is rendering it now (then wait for it).
      if (Atomics.compareExchange(claims, seq, FREE, MAIN) === FREE) return undefined;
      const deadline = performance.now() + WAIT_LIMIT_MS;
      while (!closed && performance.now() < deadline) {
        Atomics.wait(claims, seq, WORKER, 50);
        drain();
        if (replies.has(seq)) return ready(seq);
      }
      return undefined;
    },
    get taken() {
      return taken;
    },
    get delivered() {
      if (!closed) drain();
      return delivered;
    },
    close,
  };
}
