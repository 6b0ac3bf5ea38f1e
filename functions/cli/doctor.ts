/**
 * `herald doctor`: is this AWS account ready to mail the newsletter? Read-only; uses the caller's
 * AWS credentials and region (or `--region`). Exit code 1 when mail cannot go out.
 * Loaded by program.ts only when the command runs.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createAwsDeploymentReader } from '../adapters/aws-deployment.ts';
import { createDnsLookup, type DnsResolver } from '../adapters/dns-lookup.ts';
import { runDoctor } from '../app/doctor.ts';
import type { DoctorCheck } from '../core/doctor.ts';

/** Options of `herald doctor`. */
export interface DoctorOptions {
  stack: string;
  region?: string;
}

/** The report, line by line: `✓ title: meaning`, or `✗` with the fix indented below. */
export function formatChecks(checks: readonly DoctorCheck[]): string[] {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? '✓' : '✗'} ${c.title}: ${c.meaning}`);
    for (const fix of c.fix) lines.push(`    fix: ${fix}`);
  }
  return lines;
}

/** Thrown when the doctor cannot start (no region); the message says what to pass. */
export class DoctorError extends Error {
  override name = 'DoctorError';
}

async function resolveRegion(client: SESv2Client): Promise<string> {
  try {
    return await client.config.region();
  } catch (error) {
    throw new DoctorError(
      'no AWS region: pass --region REGION or set AWS_REGION (the region you deployed to)',
      {
        cause: error,
      },
    );
  }
}

/**
 * Runs the checks and prints them; returns the exit code (0 mail can go out, 1 it cannot).
 * `resolver` replaces the system DNS (tests).
 */
export async function runDoctorCommand(
  options: DoctorOptions,
  io: { out: (line: string) => void; err: (line: string) => void },
  seams: { resolver?: DnsResolver } = {},
): Promise<number> {
  const config = options.region ? { region: options.region } : {};
  const sesv2 = new SESv2Client(config);
  let region: string;
  try {
    region = await resolveRegion(sesv2);
  } catch (error) {
    io.err(`herald doctor: ${(error as Error).message}`);
    return 1;
  }
  const clientConfig = { region };
  const aws = createAwsDeploymentReader({
    sesv2,
    ses: new SESClient(clientConfig),
    cloudformation: new CloudFormationClient(clientConfig),
    dynamodb: new DynamoDBClient(clientConfig),
  });
  io.out(`Checking stack ${options.stack} in ${region} (read-only)…`);
  const report = await runDoctor({
    aws,
    dns: createDnsLookup(seams.resolver),
    stackName: options.stack,
    region,
  });
  for (const line of formatChecks(report.checks)) io.out(line);
  const failed = report.checks.filter((c) => !c.ok);
  const blocking = failed.filter((c) => c.blocking);
  io.out('');
  if (blocking.length > 0) {
    io.out(
      `Mail cannot go out: ${blocking.length} blocking problem${blocking.length === 1 ? '' : 's'}` +
        (failed.length > blocking.length ? ` and ${failed.length - blocking.length} more to fix.` : '.'),
    );
    return 1;
  }
  io.out(
    failed.length > 0
      ? `Mail can go out, but ${failed.length} problem${failed.length === 1 ? '' : 's'} hurt delivery or unsubscribes.`
      : 'All good: mail can go out.',
  );
  return 0;
}
