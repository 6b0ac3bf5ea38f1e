import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import {
  createSubscriberStore,
  isSubscriber,
  SubscriberStoreError,
} from '../../../functions/adapters/subscriber-store.ts';
import { addressHash } from '../../../functions/core/email-address.ts';
import type { Subscriber, SubscriberStatus } from '../../../functions/core/subscriber.ts';
import { createSubscriberTable, localDynamoClient } from '../../../functions/local/services.ts';

async function freshStore() {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `store-${randomUUID()}`;
  await createSubscriberTable(client, tableName);
  return createSubscriberStore({ client, tableName });
}

function subscriber(n: number, status: SubscriberStatus): Subscriber {
  const email = `reader${n}@example.test`;
  const at = new Date(Date.UTC(2026, 4, 1, 10, n));
  return {
    id: `id-${String(n).padStart(3, '0')}`,
    email,
    addressHash: addressHash(email),
    status,
    createdAt: at,
    updatedAt: at,
    pendingSince: at,
    confirmedAt: status === 'confirmed' ? at : undefined,
    softBounces: 0,
    consent: { at, source: 'https://recaps.test/subscribe.html', method: 'double-opt-in', textVersion: '1' },
    version: 1,
  };
}

describe('subscriber store (dynalite)', () => {
  it('pages through only confirmed subscribers, in confirmation order, with a cursor', async () => {
    const store = await freshStore();
    const statuses: SubscriberStatus[] = [
      'confirmed',
      'pending',
      'confirmed',
      'unsubscribed',
      'confirmed',
      'confirmed',
    ];
    for (const [n, status] of statuses.entries()) await store.save(subscriber(n, status));

    const first = await store.listConfirmed({ limit: 2 });
    const second = await store.listConfirmed({ limit: 2, cursor: first.cursor });
    const third = await store.listConfirmed({ limit: 2, cursor: second.cursor });

    expect(first.subscribers.map((s) => s.id)).toEqual(['id-000', 'id-002']);
    expect(second.subscribers.map((s) => s.id)).toEqual(['id-004', 'id-005']);
    expect(third.subscribers).toEqual([]);
    expect(third.cursor).toBeUndefined();
  });

  it('round-trips a subscriber and finds it by id', async () => {
    const store = await freshStore();
    const sub = subscriber(7, 'confirmed');

    await store.save(sub);

    expect(await store.getById('id-007')).toEqual(sub);
    expect(await store.findByAddressHash(sub.addressHash)).toEqual(sub);
  });

  it('refuses a write based on a stale version', async () => {
    const store = await freshStore();
    const sub = subscriber(1, 'pending');
    await store.save(sub);
    await store.save({ ...sub, status: 'confirmed', version: 2 });

    const stale = await store.save({ ...sub, status: 'unsubscribed', version: 2 });
    const duplicate = await store.save(sub);

    expect(stale).toBe('conflict');
    expect(duplicate).toBe('conflict');
  });

  it('erases personal data but keeps the address suppressed forever', async () => {
    const store = await freshStore();
    const sub = subscriber(3, 'confirmed');
    await store.save(sub);

    const erased = await store.erase(sub.addressHash, new Date('2026-06-01T00:00:00Z'));

    expect(erased).toBe(true);
    const record = await store.findByAddressHash(sub.addressHash);
    expect(isSubscriber(record)).toBe(false);
    expect(JSON.stringify(record)).not.toContain('reader3');
    expect(await store.getById(sub.id)).toBeUndefined();
    expect(await store.isSuppressed(sub.addressHash)).toBe(true);
    expect((await store.listConfirmed({ limit: 10 })).subscribers).toEqual([]);
  });

  it('rejects a forged cursor with a SubscriberStoreError', async () => {
    const store = await freshStore();

    const listing = store.listConfirmed({ limit: 2, cursor: 'bm90LWpzb24' });

    await expect(listing).rejects.toBeInstanceOf(SubscriberStoreError);
  });
});
