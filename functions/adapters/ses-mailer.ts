/**
 * Sends transactional email (confirmation links) through SES v1 `SendEmail`.
 * Structured To/Subject parameters, never hand-built headers, so an address can never smuggle
 * in extra headers even if validation were bypassed.
 *
 * The commands are imported statically so the Lambda bundle keeps only `SendEmail` of the SES SDK
 * (a dynamic import would keep the whole client); the client itself can be created on first send.
 */
import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { Mailer, OutgoingEmail } from '../app/ports.ts';

export type { Mailer, OutgoingEmail };

/** Thrown when SES refuses or cannot be reached. */
export class MailerError extends Error {
  override name = 'MailerError';
}

/** Builds a mailer over an SES client. `from` is `Name <address>` or a bare address. */
export function createSesMailer(options: {
  /** A client, or a factory called once on the first send (lets the SDK load lazily). */
  client: SESClient | (() => SESClient | Promise<SESClient>);
  from: string;
  replyTo?: string;
  configurationSet?: string;
}): Mailer {
  let client: Promise<SESClient> | undefined;
  const getClient = () => {
    const given = options.client;
    client ??= Promise.resolve(typeof given === 'function' ? given() : given);
    return client;
  };
  return {
    async send(message) {
      if (/[\r\n]/.test(message.to) || /[\r\n]/.test(message.subject)) {
        throw new MailerError(
          `refusing to send: line break in recipient or subject for "${message.to.trim()}"`,
        );
      }
      try {
        const ses = await getClient();
        const out = await ses.send(
          new SendEmailCommand({
            Source: options.from,
            Destination: { ToAddresses: [message.to] },
            ReplyToAddresses: options.replyTo ? [options.replyTo] : undefined,
            ConfigurationSetName: options.configurationSet,
            Message: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: {
                Html: { Data: message.html, Charset: 'UTF-8' },
                Text: { Data: message.text, Charset: 'UTF-8' },
              },
            },
          }),
        );
        return { messageId: out.MessageId ?? '' };
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        throw new MailerError(`SES SendEmail to one recipient failed (${name})`, { cause: error });
      }
    },
  };
}

/** Formats `Name <address>` with the name quoted when it needs to be. */
export function formatFromAddress(address: string, name?: string): string {
  if (!name) return address;
  const safe = name.replace(/[\r\n]/g, ' ');
  return /^[\w .!#$%&'*+/=?^`{|}~-]*$/.test(safe)
    ? `${safe} <${address}>`
    : `"${safe.replace(/["\\]/g, '\\$&')}" <${address}>`;
}
