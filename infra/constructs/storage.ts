import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Defaults every Herald bucket shares: private, encrypted, SSL-only, kept on stack deletion. */
export function privateBucketProps(accessLogs?: s3.IBucket, prefix?: string): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: prefix,
  };
}
