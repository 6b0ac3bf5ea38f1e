/**
 * The local outbox: every message the runtime sends is also written as
 * `<data>/outbox/<time>-<to>.eml`, openable in any mail client. aws-ses-v2-local keeps mail only in
 * memory and drops the custom headers of raw messages (List-Unsubscribe…), so the outbox is where
 * a developer (and the end-to-end test) sees exactly what left Herald.
 *
 * Both ports are wrapped after the send: the file is written only for messages SES accepted, and a
 * failed write never fails the send (the message is already out; failing would make the send step
 * treat it as an SES error).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mailer } from '../adapters/ses-mailer.ts';
import type { RawSender } from '../app/send-batch.ts';
import { buildMime } from '../core/build-mime.ts';

/** Where and how outbox files are written. */
export interface Outbox {
  readonly dir: string;
  /** Writes one message; returns the file path, or undefined if the write failed (reported via `onError`). */
  write(to: string, raw: Buffer | Uint8Array): Promise<string | undefined>;
}

/** Options for {@link createOutbox}. */
export interface OutboxOptions {
  dir: string;
  now?: () => Date;
  onError?: (error: unknown, file: string) => void;
}

function safeAddress(to: string): string {
  return to.replace(/[^A-Za-z0-9@._+-]/g, '_').slice(0, 120) || 'unknown';
}

/** A folder of `.eml` files named `<UTC time>-<n>-<to>.eml`, sortable by time. */
export function createOutbox(options: OutboxOptions): Outbox {
  const now = options.now ?? (() => new Date());
  let ready: Promise<unknown> | undefined;
  let seq = 0;
  return {
    dir: options.dir,
    async write(to, raw) {
      // Colons are not allowed in file names on every filesystem a repository may be cloned to.
      const stamp = now().toISOString().replace(/[:]/g, '').replace(/-/g, '');
      seq = (seq + 1) % 1_000_000;
      const file = join(options.dir, `${stamp}-${String(seq).padStart(6, '0')}-${safeAddress(to)}.eml`);
      try {
        ready ??= mkdir(options.dir, { recursive: true });
        await ready;
        await writeFile(file, raw);
        return file;
      } catch (error) {
        ready = undefined;
        options.onError?.(error, file);
        return undefined;
      }
    },
  };
}

/** Wraps the newsletter sender: the raw MIME handed to SES is also written to the outbox. */
export function withOutbox(sender: RawSender, outbox: Outbox): RawSender {
  return {
    async send(message) {
      const result = await sender.send(message);
      await outbox.write(message.to, message.raw);
      return result;
    },
  };
}

/**
 * Wraps the transactional mailer (confirmation links). SES `SendEmail` builds the MIME itself, so
 * the outbox copy is composed here with the same library and the same parts: a faithful local copy,
 * not byte-identical to what SES would put on the wire.
 */
export function withMailerOutbox(
  mailer: Mailer,
  outbox: Outbox,
  options: { from: { name: string; address: string }; now?: () => Date },
): Mailer {
  const now = options.now ?? (() => new Date());
  return {
    async send(message) {
      const result = await mailer.send(message);
      try {
        const raw = await buildMime({
          from: options.from,
          to: message.to,
          subject: message.subject,
          html: message.html,
          text: message.text,
          messageId: `<${result.messageId.replace(/[^A-Za-z0-9.-]/g, '') || randomUUID()}@herald.local>`,
          date: now(),
        });
        await outbox.write(message.to, raw);
      } catch {
        // The mail went out; a missing local copy is not worth failing the request for.
      }
      return result;
    },
  };
}
