import { Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SUBSCRIBER_TABLE_KEYS } from '../../functions/adapters/subscriber-store.ts';
import { API_FUNCTIONS, API_ROUTES, type ApiFunctionName } from '../../functions/core/api-routes.ts';
import { acknowledge, acknowledgeTableIndexes } from '../nag.ts';
import { HeraldFunction } from './herald-function.ts';

export interface SubscribersProps {
  /** Public site origin (CORS is limited to it). */
  siteOrigin: string;
  /**
   * The name CloudFront reaches the API at, with a regional certificate: the default execute-api
   * endpoint is then disabled. Without it the endpoint stays on; the origin secret guards it.
   */
  apiDomain?: { name: string; certificateArn: string };
  /** Environment every subscription function needs (site URL, sender, configuration set…). */
  environment: Record<string, string>;
}

/** The confirm-mailer's timeout; its queue's visibility timeout is six times this. */
export const CONFIRM_MAILER_TIMEOUT = Duration.seconds(20);
/** Receives of a confirmation request before it rests in the dead-letter queue. */
export const CONFIRMATION_MAX_RECEIVES = 5;

/**
 * Subscribers: one DynamoDB table (on-demand, point-in-time recovery, deletion protection,
 * sparse index of confirmed subscribers, TTL for stale records), the token-signing secret,
 * the HTTP API with the subscribe / confirm / resend / unsubscribe / preferences handlers, and the
 * confirmation queue (with its dead-letter queue) that the confirm-mailer, the one subscription
 * function allowed to send mail, works off.
 */
export class Subscribers extends Construct {
  readonly table: dynamodb.TableV2;
  readonly tokenKeys: secretsmanager.Secret;
  readonly api: apigwv2.HttpApi;
  readonly functions: HeraldFunction[] = [];
  /** Sent by CloudFront on every `/api/*` request and checked by every API function (403 without). */
  readonly originSecret: secretsmanager.Secret;
  /** Where CloudFront reaches the API: the custom domain when configured, else the execute-api host. */
  readonly apiOriginHost: string;
  readonly apiDomainName?: apigwv2.DomainName;
  readonly confirmationQueue: sqs.Queue;
  readonly confirmationDeadLetters: sqs.Queue;
  /** Sends the confirmation emails subscribe and resend queue: the only one that needs SES. */
  readonly confirmMailer: HeraldFunction;

  constructor(scope: Construct, id: string, props: SubscribersProps) {
    super(scope, id);
    const k = SUBSCRIBER_TABLE_KEYS;
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: k.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: k.sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: k.ttlAttribute,
      globalSecondaryIndexes: [
        {
          indexName: k.confirmedIndex,
          partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
        },
        {
          indexName: k.byIdIndex,
          partitionKey: { name: 'gsi2pk', type: dynamodb.AttributeType.STRING },
        },
      ],
    });
    this.tokenKeys = new secretsmanager.Secret(this, 'TokenKeys', {
      description: 'Herald token-signing keys (HMAC-SHA256); rotate by adding a key and moving currentKeyId',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ currentKeyId: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.tokenKeys,
      'AwsSolutions::AwsSolutions-SMG4',
      'Keys rotate by adding a key id and moving currentKeyId (see README); automatic replacement would break unsubscribe links in newsletters already sent',
    );

    this.originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
      description:
        'Herald: the header value CloudFront sends to the subscription API, which refuses requests without it',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'value',
        passwordLength: 48,
        excludePunctuation: true,
      },
    });
    acknowledge(
      this.originSecret,
      'AwsSolutions::AwsSolutions-SMG4',
      'CloudFront reads the value at deploy time; rotate by changing the secret and redeploying (README)',
    );

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Herald subscription API (reached through CloudFront at /api/*)',
      corsPreflight: {
        allowOrigins: [props.siteOrigin],
        allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST],
        allowHeaders: ['content-type'],
        maxAge: Duration.hours(1),
      },
      createDefaultStage: false,
      // Only CloudFront may call the API: with a custom domain for it, the default endpoint goes.
      disableExecuteApiEndpoint: props.apiDomain !== undefined,
    });
    const stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      autoDeploy: true,
      // Backstop against floods; per-IP limits live in the subscribe handler.
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
    if (props.apiDomain) {
      this.apiDomainName = new apigwv2.DomainName(this, 'ApiDomain', {
        domainName: props.apiDomain.name,
        certificate: acm.Certificate.fromCertificateArn(
          this,
          'ApiCertificate',
          props.apiDomain.certificateArn,
        ),
      });
      new apigwv2.ApiMapping(this, 'ApiMapping', { api: this.api, domainName: this.apiDomainName, stage });
    }
    this.apiOriginHost = props.apiDomain?.name ?? Fn.select(2, Fn.split('/', this.api.apiEndpoint));
    const cfnStage = stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        method: '$context.httpMethod',
        path: '$context.path',
        status: '$context.status',
        latency: '$context.responseLatency',
      }),
    };

    this.confirmationDeadLetters = new sqs.Queue(this, 'ConfirmationsDLQ', {
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.confirmationDeadLetters,
      'Serverless::Serverless-SQSRedrivePolicy',
      'This is a dead-letter queue (alarmed when not empty)',
    );
    this.confirmationQueue = new sqs.Queue(this, 'ConfirmationsQueue', {
      enforceSSL: true,
      // Six times the function timeout, as Lambda's SQS guidance asks; a failed send waits this long.
      visibilityTimeout: Duration.seconds(CONFIRM_MAILER_TIMEOUT.toSeconds() * 6),
      // A confirmation link is worth sending within a day, not after it.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.confirmationDeadLetters, maxReceiveCount: CONFIRMATION_MAX_RECEIVES },
    });
    this.confirmMailer = new HeraldFunction(this, 'confirmMailer', {
      handler: 'confirm-mailer',
      description: 'Sends the confirmation emails subscribe and resend queued',
      invocation: 'sqs',
      sendsConfirmations: true,
      timeout: CONFIRM_MAILER_TIMEOUT,
      environment: { ...props.environment, TABLE_NAME: this.table.tableName },
    });
    this.confirmMailer.fn.addEventSource(
      new lambdaEvents.SqsEventSource(this.confirmationQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // Confirmations trickle; two workers keep SES throttling rare, and the queue absorbs bursts.
        maxConcurrency: 2,
      }),
    );
    this.table.grantReadWriteData(this.confirmMailer.fn);
    acknowledgeTableIndexes(this.confirmMailer, this.table);
    this.tokenKeys.grantRead(this.confirmMailer.fn);
    this.confirmMailer.fn.addEnvironment('TOKEN_KEYS_SECRET_ID', this.tokenKeys.secretArn);
    this.functions.push(this.confirmMailer);

    const fns = {} as Record<ApiFunctionName, HeraldFunction>;
    for (const [handler, spec] of Object.entries(API_FUNCTIONS) as [
      ApiFunctionName,
      (typeof API_FUNCTIONS)[ApiFunctionName],
    ][]) {
      const fn = new HeraldFunction(this, handler, {
        handler,
        description: spec.description,
        invocation: 'http',
        environment: {
          ...props.environment,
          TABLE_NAME: this.table.tableName,
          ...(spec.requestsConfirmations ? { CONFIRMATION_QUEUE_URL: this.confirmationQueue.queueUrl } : {}),
        },
      });
      if (spec.requestsConfirmations) this.confirmationQueue.grantSendMessages(fn.fn);
      this.originSecret.grantRead(fn.fn);
      fn.fn.addEnvironment('ORIGIN_SECRET_ID', this.originSecret.secretArn);
      this.table.grantReadWriteData(fn.fn);
      acknowledgeTableIndexes(fn, this.table);
      if (spec.verifiesTokens) {
        this.tokenKeys.grantRead(fn.fn);
        fn.fn.addEnvironment('TOKEN_KEYS_SECRET_ID', this.tokenKeys.secretArn);
      }
      fns[handler] = fn;
      this.functions.push(fn);
    }
    // One integration per function; the paths come from the table the local router reads too.
    const integrations = new Map<ApiFunctionName, HttpLambdaIntegration>();
    for (const { method, path, fn } of API_ROUTES) {
      let integration = integrations.get(fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${fn}Integration`, fns[fn].fn);
        integrations.set(fn, integration);
      }
      for (const r of this.api.addRoutes({ path, methods: [apigwv2.HttpMethod[method]], integration })) {
        acknowledge(
          r,
          'AwsSolutions::AwsSolutions-APIG4',
          'Public by design: anyone may subscribe; confirm and unsubscribe are authorised by signed tokens',
        );
      }
    }
    this.subscribe = fns.subscribe;
    this.confirm = fns.confirm;
    this.resend = fns.resend;
    this.unsubscribe = fns.unsubscribe;
    this.preferences = fns.preferences;
  }

  readonly subscribe: HeraldFunction;
  readonly resend: HeraldFunction;
  readonly confirm: HeraldFunction;
  readonly unsubscribe: HeraldFunction;
  readonly preferences: HeraldFunction;
}
