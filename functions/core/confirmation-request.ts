/**
 * The message the subscription API puts on the confirmation queue, and the confirm-mailer reads.
 * The API only validates the request and enqueues this; the mailer looks the address up, decides
 * and sends. So the API does the same work for every address, new or known, and its answer time
 * tells nothing about who is subscribed (issue 11, item 5).
 */
// zod/mini: the classic build would weigh on the subscribe function's cold start.
import * as z from 'zod/mini';

const isoDate = z.pipe(
  z.string().check(z.refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO date')),
  z.transform((value: string) => new Date(value)),
);

const consentSchema = z.object({
  at: isoDate,
  source: z.string(),
  method: z.enum(['double-opt-in', 'import']),
  ip: z.optional(z.string()),
  userAgent: z.optional(z.string()),
  textVersion: z.string(),
});

/** A sign-up from the form, or a fresh link asked for from the expired-link page. */
export const confirmationRequestSchema = z.discriminatedUnion('kind', [
  z.object({
    herald: z.literal('confirmation'),
    kind: z.literal('subscribe'),
    email: z.string().check(z.minLength(3), z.maxLength(320)),
    consent: consentSchema,
    topics: z.optional(z.array(z.string())),
    requestedAt: isoDate,
  }),
  z.object({
    herald: z.literal('confirmation'),
    kind: z.literal('resend'),
    subscriberId: z.string().check(z.minLength(1)),
    requestedAt: isoDate,
  }),
]);

/** A parsed confirmation request (dates as `Date`). */
export type ConfirmationRequest = z.output<typeof confirmationRequestSchema>;

/** The queue message body for a request (dates as ISO strings). */
export function confirmationMessage(request: ConfirmationRequest): string {
  return JSON.stringify(request);
}
