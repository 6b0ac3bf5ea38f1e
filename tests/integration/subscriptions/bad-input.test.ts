import { randomUUID } from 'node:crypto';
import { GetItemCommand, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, inject, it, vi } from 'vitest';
import { addressHash } from '../../../functions/core/email-address.ts';
import { createConfirmHandler } from '../../../functions/handlers/confirm.ts';
import { createUnsubscribeHandler } from '../../../functions/handlers/unsubscribe.ts';
import { localDynamoClient } from '../../../functions/local/services.ts';
import { apiEvent, freshAddress, type Result, startHarness } from './harness.ts';

// Unique per run: the tables outlive one test, so addresses must not repeat between runs.
const unique = randomUUID().slice(0, 8);

describe('subscribe: bad input and abuse', () => {
  it('rejects malformed JSON with 400', async () => {
    const h = await startHarness();

    const response = await h.subscribe({ body: '{"email": "ada@example.test"' });

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).ok).toBe(false);
  });

  it('rejects a JSON body that is not an object with 400', async () => {
    const h = await startHarness();

    const response = await h.subscribe({ body: '["ada@example.test"]' });

    expect(response.statusCode).toBe(400);
  });

  it('rejects a wrong content type with 415', async () => {
    const h = await startHarness();
    const email = freshAddress('type');

    const response = await h.subscribe({ contentType: 'text/plain', body: `email=${email}` });

    expect(response.statusCode).toBe(415);
    expect(await h.emailsTo(email)).toHaveLength(0);
  });

  it('rejects bodies over 4 KiB with 413', async () => {
    const h = await startHarness();
    const email = freshAddress('big');
    const response = await h.subscribe({ body: JSON.stringify({ email, padding: 'x'.repeat(5 * 1024) }) });

    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ ok: false, message: 'That request is too large.' });
    expect(await h.emailsTo(email)).toHaveLength(0);
  });

  it('has every body-reading handler refuse more than 4 KiB with 413, base64 or declared length included', async () => {
    const h = await startHarness();
    const confirm = createConfirmHandler(h.deps);
    const unsubscribe = createUnsubscribeHandler(h.deps);
    const big = `token=${'x'.repeat(5 * 1024)}`;
    const form = 'application/x-www-form-urlencoded';

    const responses = (await Promise.all([
      confirm(apiEvent({ path: '/api/confirm', contentType: form, body: big })),
      confirm(apiEvent({ path: '/api/resend', contentType: form, body: big, base64: true })),
      unsubscribe(
        apiEvent({ path: '/api/unsubscribe', query: { token: 't' }, contentType: 'text/plain', body: big }),
      ),
      unsubscribe(
        apiEvent({
          path: '/api/unsubscribe',
          contentType: form,
          body: 'token=t',
          headers: { 'content-length': '5000' },
        }),
      ),
      h.subscribe({ form: true, email: freshAddress('form'), website: 'x'.repeat(5 * 1024) }),
    ])) as Result[];

    expect(responses.map((r) => r.statusCode)).toEqual([413, 413, 413, 413, 413]);
  });

  it.each([
    ['zero-width space', `ada\u200b-${unique}@example.test`],
    ['right-to-left override', `ada\u202e-${unique}@example.test`],
    ['Cyrillic lookalike local part', `\u0430da-${unique}@example.test`],
    ['display name', `"Ada" <ada-${unique}@example.test>`],
    ['angle brackets only', `<ada-${unique}@example.test>`],
    ['two addresses', `ada-${unique}@example.test, eve@example.test`],
    ['comment', `ada-${unique}(work)@example.test`],
    ['fullwidth at sign', `ada-${unique}\uff20example.test`],
  ])('rejects unicode and display-name tricks: %s', async (_label, email) => {
    const h = await startHarness();

    const response = await h.subscribe({ email });

    expect(response.statusCode).toBe(400);
  });

  it('rejects header injection via newlines and mails nobody', async () => {
    const h = await startHarness();
    const victim = freshAddress('victim');
    const email = `${freshAddress('ada')}\r\nBcc: ${victim}`;

    const response = await h.subscribe({ email });

    expect(response.statusCode).toBe(400);
    expect(await h.emailsTo(victim)).toHaveLength(0);
    expect(await h.emailsTo(email.split('\r')[0] ?? '')).toHaveLength(0);
  });

  it('answers 200 when DynamoDB throttles the subscriber write, and the queued request is retried until it is stored and mailed', async () => {
    // Reads and the rate counter reach dynalite; the confirm-mailer's subscriber write is throttled.
    const h = await startHarness({ holdConfirmations: true });
    const email = freshAddress('throttle');
    const realSend = DynamoDBDocumentClient.prototype.send as (
      this: unknown,
      command: unknown,
    ) => Promise<unknown>;
    const mock = mockClient(DynamoDBDocumentClient);
    mock
      .on(PutCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
    mock.on(GetCommand).callsFake((input, getClient) => realSend.call(getClient(), new GetCommand(input)));
    mock
      .on(UpdateCommand)
      .callsFake((input, getClient) => realSend.call(getClient(), new UpdateCommand(input)));
    const storedItem = async () =>
      (
        await localDynamoClient(inject('dynamoEndpoint')).send(
          new GetItemCommand({
            TableName: h.tableName,
            Key: { pk: { S: `ADDRESS#${addressHash(email)}` }, sk: { S: 'SUBSCRIBER' } },
            ConsistentRead: true,
          }),
        )
      ).Item;

    let response: Result;
    let putsWhileThrottled = 0;
    try {
      response = await h.subscribe({ email });
      h.deps.confirmationQueue.start();
      await vi.waitFor(() => expect(mock.commandCalls(PutCommand).length).toBeGreaterThan(0));
      putsWhileThrottled = mock.commandCalls(PutCommand).length;
      expect(await storedItem()).toBeUndefined();
    } finally {
      mock.restore();
    }
    await h.deps.confirmationQueue.idle();

    expect(response.statusCode).toBe(200);
    expect(putsWhileThrottled).toBeGreaterThan(0);
    expect(await h.emailsTo(email)).toHaveLength(1);
    expect((await storedItem())?.status?.S).toBe('pending');
    expect(h.deps.confirmationQueue.deadLetters).toEqual([]);
  });
});
