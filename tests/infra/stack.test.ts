import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../functions/core/api-routes.ts';
import {
  loadFeedbackConfig,
  loadSubscribeConfig,
  loadSubscriptionConfig,
} from '../../functions/wiring/config.ts';
import {
  loadFanoutConfig,
  loadReconcileConfig,
  loadSendConfig,
} from '../../functions/wiring/delivery-config.ts';
import { loadPublishConfig } from '../../functions/wiring/publish-deps.ts';
import { loadInfraConfig } from '../../infra/config.ts';
import { FANOUT_TIMEOUT, SEND_TIMEOUT } from '../../infra/constructs/delivery.ts';
import { BOUNCE_RATE_ALARM, COMPLAINT_RATE_ALARM } from '../../infra/constructs/operations.ts';
import { HeraldStack } from '../../infra/herald-stack.ts';
import { repoRoot } from '../../infra/paths.ts';

const contentDir = join(repoRoot, 'content');
const context: Record<string, string> = {
  'herald:alarmEmail': 'ops@recaps.example.org',
  'herald:sesRateSafetyFactor': '0.8',
  'herald:reconcileMinutes': '5',
};

let template: Template;
let assemblyDir: string;
let stack: HeraldStack;

type Resource = { Type: string; Properties: Record<string, unknown> };

function resources(type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

/** Functions Herald owns (CDK's own helper functions for deployments are excluded). */
function heraldFunctions(): [string, Resource][] {
  return resources('AWS::Lambda::Function').filter(([, r]) =>
    String(
      (r.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables?.HERALD_FUNCTION ?? '',
    ).startsWith('herald-'),
  );
}

function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

beforeAll(() => {
  assemblyDir = mkdtempSync(join(tmpdir(), 'herald-cdk-'));
  const app = new App({ outdir: assemblyDir, context });
  const config = loadInfraConfig({ contentDir, context: (key) => app.node.tryGetContext(key) });
  stack = new HeraldStack(app, 'Herald', {
    config,
    contentDir,
    env: { account: '123456789012', region: 'eu-central-1' },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  // Synthesis fails if cdk-nag reports any finding that is not acknowledged with a reason.
  app.synth();
  template = Template.fromStack(stack);
}, 240_000);

describe('Herald stack', () => {
  it('passes cdk-nag AwsSolutions and Serverless checks with every acknowledgement carrying a reason', () => {
    const report = join(assemblyDir, 'policy-validation-report.json');
    if (existsSync(report)) {
      const text = execFileSync('cat', [report], { encoding: 'utf8' });
      expect(text).not.toMatch(/"status":\s*"failure"/);
    }
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })),
      );
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const ack of acknowledged) expect(ack.reason.length, ack.id).toBeGreaterThan(20);
  });

  it('runs every Herald function on Node.js 22, arm64, with tracing and its own log group', () => {
    const functions = heraldFunctions();
    expect(
      functions
        .map(
          ([, r]) =>
            (r.Properties.Environment as { Variables: Record<string, string> }).Variables.HERALD_FUNCTION,
        )
        .sort(),
    ).toEqual(
      [
        'herald-confirm',
        'herald-confirm-mailer',
        'herald-fanout',
        'herald-feedback',
        'herald-inbound-unsubscribe',
        'herald-publish',
        'herald-reconcile',
        'herald-resend',
        'herald-send',
        'herald-subscribe',
        'herald-unsubscribe',
        'herald-preferences',
      ].sort(),
    );
    for (const [id, fn] of functions) {
      expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(fn.Properties.LoggingConfig, id).toMatchObject({ LogFormat: 'JSON' });
    }
    for (const [, group] of resources('AWS::Logs::LogGroup'))
      expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('keeps content in a private, versioned, encrypted, SSL-only bucket that notifies a queue about posts', () => {
    const content = logicalIdOf(stack.content.bucket);
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: content },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const notifications = template.findResources('Custom::S3BucketNotifications');
    const config = Object.values(notifications)
      .map((n) => (n as Resource).Properties)
      .find((p) => JSON.stringify(p.BucketName) === JSON.stringify({ Ref: content })) as {
      NotificationConfiguration: { QueueConfigurations: { Events: string[]; Filter: unknown }[] };
    };
    const queueConfigs = config.NotificationConfiguration.QueueConfigurations;
    expect(queueConfigs.flatMap((q) => q.Events).sort()).toEqual(
      [...Array(4).fill('s3:ObjectCreated:*'), ...Array(4).fill('s3:ObjectRemoved:*')].sort(),
    );
    expect(JSON.stringify(queueConfigs.map((q) => q.Filter))).toContain('"Name":"prefix","Value":"posts/"');
    expect(JSON.stringify(queueConfigs.map((q) => q.Filter))).toContain('"Name":"suffix","Value":".md"');
    // Generated output never lands in the content bucket, so publishing cannot trigger itself.
    expect(logicalIdOf(stack.site.bucket)).not.toBe(content);
  });

  it('serves the site through CloudFront with origin access control, HTTPS, security headers and /api/*', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', Compress: true }),
        CacheBehaviors: Match.arrayWith([
          Match.objectLike({ PathPattern: '*.xml' }),
          Match.objectLike({
            PathPattern: '/api/*',
            ViewerProtocolPolicy: 'https-only',
            AllowedMethods: Match.arrayWith(['POST']),
          }),
        ]),
        CustomErrorResponses: Match.arrayWith([
          Match.objectLike({ ErrorCode: 403, ResponseCode: 404, ResponsePagePath: '/404.html' }),
        ]),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ DefaultTTL: 300, MaxTTL: 300 }),
    });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: Match.objectLike({
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31_536_000 }),
          FrameOptions: Match.objectLike({ FrameOption: 'DENY' }),
        }),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://recaps.example.org'] }),
    });
  });

  it('keeps the post index and fragments (drafts too) in a private bucket no CloudFront origin or behaviour reaches', () => {
    const siteBucket = logicalIdOf(stack.site.bucket);
    const stateBucket = logicalIdOf(stack.site.stateBucket);
    const [[, distribution] = ['', undefined]] = resources('AWS::CloudFront::Distribution');
    const config = (distribution as Resource).Properties.DistributionConfig as {
      Origins: { Id: string; DomainName: unknown }[];
    };
    const serialised = JSON.stringify(distribution);

    expect(stateBucket).not.toBe(siteBucket);
    expect(serialised).not.toContain(stateBucket);
    expect(config.Origins.filter((o) => JSON.stringify(o.DomainName).includes(siteBucket))).toHaveLength(1);
    for (const [, policy] of resources('AWS::S3::BucketPolicy')) {
      if (JSON.stringify(policy.Properties.Bucket).includes(stateBucket)) {
        expect(JSON.stringify(policy.Properties.PolicyDocument)).not.toContain('cloudfront');
      }
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'state/' }),
    });
    const publish = heraldFunctions().find(([, fn]) =>
      JSON.stringify(fn.Properties.Environment).includes('herald-publish'),
    );
    const variables =
      (publish?.[1].Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables ?? {};
    expect(JSON.stringify(variables.STATE_BUCKET)).toContain(stateBucket);
    expect(JSON.stringify(variables.SITE_BUCKET)).toContain(siteBucket);
  });

  it("leaves /api/* pages their own CSP (inline <style>) while the site keeps style-src 'self'", () => {
    const [[, distribution] = ['', undefined]] = resources('AWS::CloudFront::Distribution');
    const config = (distribution as Resource).Properties.DistributionConfig as {
      DefaultCacheBehavior: { ResponseHeadersPolicyId: { Ref: string } };
      CacheBehaviors: { PathPattern: string; ResponseHeadersPolicyId: { Ref: string } }[];
    };
    const policies = template.findResources('AWS::CloudFront::ResponseHeadersPolicy') as Record<
      string,
      { Properties: { ResponseHeadersPolicyConfig: { SecurityHeadersConfig: Record<string, unknown> } } }
    >;
    const headersOf = (ref: { Ref: string } | undefined) =>
      policies[ref?.Ref ?? '']?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const api = config.CacheBehaviors.find((b) => b.PathPattern === '/api/*');

    const siteHeaders = headersOf(config.DefaultCacheBehavior.ResponseHeadersPolicyId);
    const apiHeaders = headersOf(api?.ResponseHeadersPolicyId);

    expect(JSON.stringify(siteHeaders?.ContentSecurityPolicy)).toContain("style-src 'self'");
    expect(apiHeaders).toBeDefined();
    expect(apiHeaders?.ContentSecurityPolicy).toBeUndefined();
    expect(apiHeaders).toMatchObject({
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ContentTypeOptions: { Override: true },
      StrictTransportSecurity: expect.objectContaining({ AccessControlMaxAgeSec: 31_536_000 }),
    });
  });

  it('stores subscribers in one on-demand table with recovery, deletion protection, a sparse index and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'confirmed',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
        }),
      ]),
      Replicas: [
        Match.objectLike({
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
  });

  it('redrives every queue to a dead-letter queue, with visibility at least six times the consumer timeout', () => {
    const queues = template.findResources('AWS::SQS::Queue') as Record<string, Resource>;
    const send = queues[logicalIdOf(stack.delivery.sendQueue)];
    const fanout = queues[logicalIdOf(stack.delivery.fanoutQueue)];
    const contentEvents = queues[logicalIdOf(stack.content.events)];
    expect(send?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(SEND_TIMEOUT.toSeconds() * 6);
    expect(fanout?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(FANOUT_TIMEOUT.toSeconds() * 6);
    for (const queue of [send, fanout, contentEvents]) {
      expect(queue?.Properties.RedrivePolicy).toMatchObject({
        deadLetterTargetArn: expect.anything(),
        maxReceiveCount: expect.any(Number),
      });
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    const [, sendFn] = heraldFunctions().find(([, r]) =>
      JSON.stringify(r.Properties.Environment).includes('herald-send'),
    ) as [string, Resource];
    expect(sendFn.Properties.Timeout).toBe(SEND_TIMEOUT.toSeconds());
    expect(sendFn.Properties.ReservedConcurrentExecutions).toBe(10);
  });

  it('verifies the domain in SES with 2048-bit Easy DKIM, a custom MAIL FROM and event destinations', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'recaps.example.org',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      MailFromAttributes: {
        MailFromDomain: 'mail.recaps.example.org',
        BehaviorOnMxFailure: 'REJECT_MESSAGE',
      },
    });
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({
        Enabled: true,
        MatchingEventTypes: Match.arrayWith(['bounce', 'complaint', 'reject', 'deliveryDelay']),
        SnsDestination: Match.anyValue(),
      }),
    });
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      Rule: Match.objectLike({ Recipients: ['unsubscribe@recaps.example.org'], ScanEnabled: true }),
    });
  });

  it('scopes IAM to named resources: sending names the identity and the configuration set', () => {
    const policies = resources('AWS::IAM::Policy');
    const sendStatements = policies.flatMap(([, p]) =>
      (
        (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement ??
        []
      ).filter((s) => JSON.stringify(s.Action).includes('ses:SendRawEmail')),
    );
    expect(sendStatements.length).toBeGreaterThanOrEqual(2);
    for (const statement of sendStatements) {
      const text = JSON.stringify(statement.Resource);
      expect(text).toContain(':identity/');
      expect(text).toContain(':configuration-set/');
      expect(text).not.toBe('"*"');
    }
    // A bare "*" resource only where AWS offers no resource-level permission.
    for (const [, policy] of policies) {
      for (const s of (
        policy.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }
      ).Statement) {
        if (s.Resource === '*') {
          const actions = [s.Action].flat();
          // X-Ray and GetSendQuota have no resource-level permissions; CloudFront invalidations
          // come from CDK's BucketDeployment helper.
          for (const action of actions) {
            expect(action).toMatch(/^(xray:|ses:GetSendQuota$|cloudfront:(Get|Create)Invalidation$)/);
          }
        }
      }
    }
  });

  it('routes every API path to the function the shared route table names; only functions that mail may send', () => {
    const fnOfIntegration = new Map(
      resources('AWS::ApiGatewayV2::Integration').map(([id, r]) => [
        id,
        (r.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
      ]),
    );
    const handlerOfFn = new Map(
      heraldFunctions().map(([id, r]) => [
        id,
        (r.Properties.Environment as { Variables: Record<string, string> }).Variables.HERALD_FUNCTION,
      ]),
    );
    const routed = Object.fromEntries(
      resources('AWS::ApiGatewayV2::Route').map(([, r]) => {
        const target = JSON.stringify(r.Properties.Target).match(/"Ref":"([^"]+)"/)?.[1] ?? '';
        return [r.Properties.RouteKey, handlerOfFn.get(fnOfIntegration.get(target) ?? '')];
      }),
    );
    expect(routed).toEqual(
      Object.fromEntries(API_ROUTES.map((r) => [`${r.method} ${r.path}`, `herald-${r.fn}`])),
    );
    expect(routed['POST /api/resend']).toBe('herald-resend');

    const roleOf = (construct: { fn: { role?: { node: { defaultChild?: unknown } } } }) =>
      stack.getLogicalId(construct.fn.role?.node.defaultChild as never);
    const sendingRoles = resources('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('ses:SendRawEmail'))
      .flatMap(([, p]) => (p.Properties.Roles as { Ref: string }[]).map((r) => r.Ref));
    const subscribers = stack.subscribers;
    expect(sendingRoles).toContain(roleOf(subscribers.confirmMailer));
    for (const fn of [
      subscribers.subscribe,
      subscribers.resend,
      subscribers.confirm,
      subscribers.unsubscribe,
    ]) {
      expect(sendingRoles).not.toContain(roleOf(fn));
    }
  });

  it('sends confirmations from a queue: only the confirm-mailer may send mail, subscribe and resend only enqueue', () => {
    const subscribers = stack.subscribers;
    const queueId = logicalIdOf(subscribers.confirmationQueue);
    const deadLettersId = logicalIdOf(subscribers.confirmationDeadLetters);
    const roleOf = (construct: { fn: { role?: { node: { defaultChild?: unknown } } } }) =>
      stack.getLogicalId(construct.fn.role?.node.defaultChild as never);
    const policiesOf = (construct: { fn: { role?: { node: { defaultChild?: unknown } } } }) =>
      resources('AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleOf(construct)))
        .map(([, p]) => JSON.stringify(p.Properties.PolicyDocument))
        .join('\n');
    const variablesOf = (construct: { fn: { node: { defaultChild?: unknown } } }) =>
      (template.toJSON().Resources[logicalIdOf(construct.fn)].Properties.Environment.Variables ??
        {}) as Record<string, unknown>;

    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 120,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: logicalIdOf(subscribers.confirmMailer.fn) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(policiesOf(subscribers.confirmMailer)).toContain('ses:SendEmail');
    expect(variablesOf(subscribers.confirmMailer)).toHaveProperty('SES_CONFIGURATION_SET');
    expect(policiesOf(subscribers.subscribe)).not.toContain(logicalIdOf(subscribers.tokenKeys));
    expect(variablesOf(subscribers.subscribe)).not.toHaveProperty('TOKEN_KEYS_SECRET_ID');
    for (const fn of [subscribers.subscribe, subscribers.resend]) {
      expect(policiesOf(fn)).toContain('sqs:SendMessage');
      expect(policiesOf(fn)).toContain(queueId);
      expect(policiesOf(fn)).not.toContain('ses:');
      expect(variablesOf(fn).CONFIRMATION_QUEUE_URL).toEqual({ Ref: queueId });
    }
    for (const fn of [subscribers.confirm, subscribers.unsubscribe, subscribers.preferences]) {
      expect(policiesOf(fn)).not.toContain('sqs:SendMessage');
      expect(policiesOf(fn)).not.toContain('ses:');
      expect(variablesOf(fn)).not.toHaveProperty('CONFIRMATION_QUEUE_URL');
    }
  });

  it('runs the reconciler at the interval of CDK context herald:reconcileMinutes, with the same staleness', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: Match.arrayWith([
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf(stack.delivery.reconcile.fn), 'Arn'] },
          Input: JSON.stringify({ staleAfterMinutes: 5 }),
        }),
      ]),
    });
  });

  it('gives every function the environment its handler validates at cold start', () => {
    const loaders: Record<string, (env: Record<string, string>) => unknown> = {
      'herald-subscribe': loadSubscribeConfig,
      'herald-confirm': loadSubscriptionConfig,
      'herald-confirm-mailer': loadSubscriptionConfig,
      'herald-resend': loadSubscriptionConfig,
      'herald-unsubscribe': loadSubscriptionConfig,
      'herald-preferences': loadSubscriptionConfig,
      'herald-feedback': loadFeedbackConfig,
      'herald-inbound-unsubscribe': loadFeedbackConfig,
      'herald-send': loadSendConfig,
      'herald-fanout': loadFanoutConfig,
      'herald-reconcile': loadReconcileConfig,
      'herald-publish': loadPublishConfig,
    };
    // CloudFormation references resolve at deploy time; stand in plausible values of their kind.
    const resolved = (key: string, value: unknown): string => {
      if (typeof value === 'string') return value;
      if (key.endsWith('_URL')) return 'https://sqs.eu-central-1.amazonaws.com/123456789012/queue';
      if (key.endsWith('_ARN') || key.endsWith('_SECRET_ID'))
        return 'arn:aws:sqs:eu-central-1:123456789012:resource';
      return 'resolved-resource-name';
    };
    for (const [, fn] of heraldFunctions()) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolved(k, v)]));
      const service = String(variables.HERALD_FUNCTION);
      const load = loaders[service];
      expect(load, service).toBeDefined();
      expect(() => load?.(env), service).not.toThrow();
    }
  });

  it('keeps the token-signing key (and the API origin secret) in Secrets Manager and out of every environment', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    const env = JSON.stringify(heraldFunctions().map(([, r]) => r.Properties.Environment));
    expect(env).toContain('TOKEN_KEYS_SECRET_ID');
    expect(env).not.toMatch(/TOKEN_KEYS_FILE|SecretString/);
  });

  it('alarms on dead letters, errors, bounce rate over 4%, complaint rate over 0.08% and stuck campaigns', () => {
    expect(BOUNCE_RATE_ALARM).toBe(0.04);
    expect(COMPLAINT_RATE_ALARM).toBe(0.0008);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Reputation.BounceRate',
      Threshold: 0.04,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Reputation.ComplaintRate',
      Threshold: 0.0008,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 3600,
    });
    const dlqAlarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 },
    });
    expect(Object.keys(dlqAlarms).length).toBe(8);
    const errorAlarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'Errors' },
    });
    expect(Object.keys(errorAlarms)).toHaveLength(heraldFunctions().length);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@recaps.example.org',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // A halted campaign (SES sending paused for the account) is counted from the send logs and alarms.
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "campaign halted" }',
      MetricTransformations: [Match.objectLike({ MetricNamespace: 'Herald', MetricName: 'CampaignHalted' })],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Herald',
      MetricName: 'CampaignHalted',
      Threshold: 0,
      AlarmActions: Match.anyValue(),
    });
  });

  it('bundles each function with the AWS SDK and without mjml unless it renders; every bundle loads on its own', () => {
    const assets = heraldFunctions().map(([, r]) => {
      const code = r.Properties.Code as { S3Key: string };
      const hash = code.S3Key.replace(/\.zip$/, '');
      const service = (r.Properties.Environment as { Variables: Record<string, string> }).Variables
        .HERALD_FUNCTION;
      return { service, dir: join(assemblyDir, `asset.${hash}`) };
    });
    for (const { service, dir } of assets) {
      const renders = service === 'herald-publish';
      // Functions that do not render are ES modules; the render function is CommonJS (mjml).
      const file = join(dir, renders ? 'index.js' : 'index.mjs');
      expect(existsSync(file), `${service}: ${file}`).toBe(true);
      expect(existsSync(`${file}.map`), `${service}: source map`).toBe(true);
      // No NODE_PATH: the bundle must not lean on an SDK from node_modules or the runtime.
      const loaded = execFileSync(
        process.execPath,
        [
          '--no-warnings',
          '-e',
          `import(${JSON.stringify(pathToFileURL(file).href)}).then((m) => process.stdout.write(typeof (m.handler ?? m.default?.handler)))`,
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH }, cwd: dir },
      );
      expect(loaded, service).toBe('function');
      const source = readFileSync(file, 'utf8');
      expect(source.includes('mj-column'), service).toBe(renders);
      // Tree-shaken SDK: no client the function never calls.
      expect(source.includes('ListIdentities'), `${service} bundles all of SES`).toBe(false);
      // Credentials come from Lambda's environment, not the SDK's SSO/INI/STS chain.
      expect(source.includes('defaultProvider::fromSSO'), `${service} bundles the default chain`).toBe(false);
    }
  });
});
