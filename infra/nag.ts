import { type CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on a construct (and its children), with the reason a reviewer
 * needs. `finding` is the id cdk-nag prints, e.g. `AwsSolutions::AwsSolutions-L1`.
 */
export function acknowledge(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: finding, reason });
}

/** How cdk-nag names a resource's ARN inside a finding id: `<LogicalId.Arn>`. */
export function arnInFinding(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnElement;
  return `<${Stack.of(resource).getLogicalId(cfn)}.Arn>`;
}

/** How cdk-nag writes the stack's account and region inside a finding id. */
export function accountAndRegion(scope: IConstruct): { account: string; region: string } {
  const stack = Stack.of(scope);
  return {
    account: Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account,
    region: Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region,
  };
}

/** Acknowledges the object-level wildcards of CDK's bucket grants, which name one bucket. */
export function acknowledgeBucketGrant(
  scope: IConstruct,
  bucket: IConstruct,
  actions: readonly ('GetObject*' | 'GetBucket*' | 'List*' | 'DeleteObject*' | 'Abort*')[],
  why: string,
): void {
  acknowledge(
    scope,
    `AwsSolutions::AwsSolutions-IAM5[Resource::${arnInFinding(bucket)}/*]`,
    `Objects of one named bucket only: ${why}`,
  );
  for (const action of actions) {
    acknowledge(
      scope,
      `AwsSolutions::AwsSolutions-IAM5[Action::s3:${action}]`,
      `CDK bucket grant action group, scoped to named buckets: ${why}`,
    );
  }
}

/** Acknowledges `<table>/index/*`, which CDK's table grants add for the table's own indexes. */
export function acknowledgeTableIndexes(scope: IConstruct, table: IConstruct): void {
  acknowledge(
    scope,
    `AwsSolutions::AwsSolutions-IAM5[Resource::${arnInFinding(table)}/index/*]`,
    'Queries the indexes of one named table (the sparse confirmed-subscriber index and the id index)',
  );
}
