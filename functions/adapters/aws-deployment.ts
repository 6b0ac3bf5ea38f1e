/**
 * Read-only questions to AWS about a deployed Herald: the stack, the SES account, identity and
 * configuration set, the active receipt rule set and the number of confirmed subscribers. Every
 * answer is a `Read`: a failure (no permission, not found) is reported, never thrown, so
 * `herald doctor` can say what it could not check.
 */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeActiveReceiptRuleSetCommand, type SESClient } from '@aws-sdk/client-ses';
import {
  GetAccountCommand,
  GetConfigurationSetCommand,
  GetConfigurationSetEventDestinationsCommand,
  GetEmailIdentityCommand,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import type { DeploymentReader, Read } from '../core/doctor.ts';
import { SUBSCRIBER_TABLE_KEYS } from './subscriber-store.ts';

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message && error.message !== error.name ? `${error.name}: ${error.message}` : error.name;
}

async function read<T>(
  run: () => Promise<T>,
  isMissing: (error: Error) => boolean = () => false,
): Promise<Read<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    const missing = error instanceof Error && (error.name === 'NotFoundException' || isMissing(error));
    return { ok: false, missing, error: describe(error) };
  }
}

const stackMissing = (error: Error) =>
  error.name === 'StackNotFoundException' ||
  (error.name === 'ValidationError' && /does not exist/.test(error.message));

/** Builds the reader on the caller's clients (credentials and region come from the clients). */
export function createAwsDeploymentReader(clients: {
  sesv2: SESv2Client;
  ses: SESClient;
  cloudformation: CloudFormationClient;
  dynamodb: DynamoDBClient;
}): DeploymentReader {
  return {
    stack: (name) =>
      read(async () => {
        const out = await clients.cloudformation.send(new DescribeStacksCommand({ StackName: name }));
        const stack = out.Stacks?.[0];
        if (!stack)
          throw Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' });
        const outputs: Record<string, string> = {};
        for (const o of stack.Outputs ?? [])
          if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
        return { status: stack.StackStatus ?? 'UNKNOWN', outputs };
      }, stackMissing),

    account: () =>
      read(async () => {
        const out = await clients.sesv2.send(new GetAccountCommand({}));
        return {
          productionAccess: out.ProductionAccessEnabled === true,
          sendingEnabled: out.SendingEnabled === true,
          enforcementStatus: out.EnforcementStatus,
          reviewStatus: out.Details?.ReviewDetails?.Status,
          max24HourSend: out.SendQuota?.Max24HourSend ?? 0,
          maxSendRate: out.SendQuota?.MaxSendRate ?? 0,
          sentLast24Hours: out.SendQuota?.SentLast24Hours ?? 0,
        };
      }),

    identity: (domain) =>
      read(async () => {
        const out = await clients.sesv2.send(new GetEmailIdentityCommand({ EmailIdentity: domain }));
        const mailFrom = out.MailFromAttributes;
        return {
          verifiedForSending: out.VerifiedForSendingStatus === true,
          verificationStatus: out.VerificationStatus,
          dkim: {
            signingEnabled: out.DkimAttributes?.SigningEnabled === true,
            status: out.DkimAttributes?.Status,
            tokens: out.DkimAttributes?.Tokens ?? [],
          },
          mailFrom: mailFrom?.MailFromDomain
            ? {
                domain: mailFrom.MailFromDomain,
                status: mailFrom.MailFromDomainStatus,
                behaviorOnMxFailure: mailFrom.BehaviorOnMxFailure,
              }
            : undefined,
        };
      }),

    configurationSet: (name) =>
      read(async () => {
        const [set, destinations] = await Promise.all([
          clients.sesv2.send(new GetConfigurationSetCommand({ ConfigurationSetName: name })),
          clients.sesv2.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: name })),
        ]);
        return {
          // SES treats an absent SendingOptions as enabled.
          sendingEnabled: set.SendingOptions?.SendingEnabled !== false,
          eventDestinations: (destinations.EventDestinations ?? []).map((d) => ({
            name: d.Name ?? '',
            enabled: d.Enabled === true,
            events: d.MatchingEventTypes ?? [],
          })),
        };
      }),

    confirmedSubscribers: (tableName) =>
      read(async () => {
        // COUNT over the sparse `confirmed` index: no item data is read or returned.
        let count = 0;
        let start: Record<string, AttributeValue> | undefined;
        do {
          const out = await clients.dynamodb.send(
            new QueryCommand({
              TableName: tableName,
              IndexName: SUBSCRIBER_TABLE_KEYS.confirmedIndex,
              KeyConditionExpression: 'gsi1pk = :confirmed',
              ExpressionAttributeValues: { ':confirmed': { S: 'CONFIRMED' } },
              Select: 'COUNT',
              ExclusiveStartKey: start,
            }),
          );
          count += out.Count ?? 0;
          start = out.LastEvaluatedKey;
        } while (start);
        return count;
      }),

    activeReceiptRuleSet: () =>
      read(async () => {
        const out = await clients.ses.send(new DescribeActiveReceiptRuleSetCommand({}));
        return out.Metadata?.Name;
      }),
  };
}
