/**
 * What a future-dated post's schedule delivers, and the schedule's name: shared by the publish use
 * case (which reads the message and names the schedule) and the scheduler adapters.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The message a schedule delivers: publish the post at `key` now. */
export const scheduledPublishSchema = z.object({
  herald: z.literal('scheduled-publish'),
  key: z.string().min(1),
});

/** A scheduled-publish message. */
export type ScheduledPublish = z.infer<typeof scheduledPublishSchema>;

/**
 * The schedule name for a post id: EventBridge allows 64 characters of `[0-9A-Za-z-_.]`, so a
 * readable prefix of the id plus a hash of the whole id (ids differing only in other characters
 * never share a schedule).
 */
export function scheduleName(postId: string): string {
  const hash = createHash('sha256').update(postId).digest('hex').slice(0, 16);
  const readable = postId.replace(/[^0-9A-Za-z_.-]+/g, '-').slice(0, 36);
  return `post-${readable}-${hash}`;
}
