/**
 * The campaign store: one DynamoDB table (keys in `campaign-table.ts`) holding campaign records,
 * the send ledger, the send-rate windows and the parts of big emails, each in its own module.
 * Delivery needs nothing but this table; dynalite has no transactions and we need none: every
 * change is a single conditional write.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CampaignRecords, createCampaignRecords } from './campaign-records.ts';
import { openCampaignTable } from './campaign-table.ts';
import { createEmailParts } from './email-parts.ts';
import { createRateWindows, type RateWindows } from './rate-windows.ts';
import { createSendLedger, type SendLedger } from './send-ledger.ts';

export { CampaignStoreError, campaignTableDefinition } from './campaign-table.ts';
export { EMAIL_PART_BYTES, INLINE_EMAIL_LIMIT } from './email-parts.ts';

/** The campaign store: everything the delivery handlers and the CLI read and write. */
export interface CampaignStore extends CampaignRecords, SendLedger, RateWindows {}

/** Builds the DynamoDB-backed store. */
export function createCampaignStore(options: { client: DynamoDBClient; tableName: string }): CampaignStore {
  const table = openCampaignTable(options);
  return {
    ...createCampaignRecords(table, createEmailParts(table)),
    ...createSendLedger(table),
    ...createRateWindows(table),
  };
}
