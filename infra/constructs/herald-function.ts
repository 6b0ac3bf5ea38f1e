import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import { handlerEntry, repoRoot } from '../paths.ts';

/** See the file's comment: `http` through `require`, not an ES module import, in ESM bundles. */
const HTTP_SHIM = join(repoRoot, 'infra', 'bundling', 'node-http.cjs');
/** See the file's comment: Lambda's credentials come from the environment, not the SDK's full chain. */
const LAMBDA_CREDENTIALS = join(repoRoot, 'infra', 'bundling', 'lambda-credentials.ts');

/** Options a Herald function may change; everything else is a house default. */
export interface HeraldFunctionProps {
  /** Handler file name under `functions/handlers/`, without extension (e.g. `send`). */
  handler: string;
  description: string;
  environment?: Record<string, string>;
  memorySize?: number;
  timeout?: Duration;
  reservedConcurrentExecutions?: number;
  /** Log retention; defaults to one month. */
  logRetention?: logs.RetentionDays;
  /**
   * How the function is invoked, which decides where failed events go: `async` (SNS, SES,
   * EventBridge) gets its own dead-letter queue; `sqs` failures stay on the source queue and its
   * dead-letter queue; `http` callers see the error themselves.
   */
  invocation: 'async' | 'sqs' | 'http';
  /**
   * Renders MJML at run time (the publish function). Every other function is bundled without
   * mjml, which is several MB and ~250 ms of cold start.
   */
  rendersMjml?: boolean;
  /** Sends confirmation emails: the template is compiled to HTML while bundling. */
  sendsConfirmations?: boolean;
}

/**
 * One Lambda function with Herald's defaults: Node.js 22 on arm64, source maps, JSON logs with
 * retention, X-Ray tracing, and an esbuild bundle of exactly one handler file.
 */
export class HeraldFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  /** Failed asynchronous invocations land here (async functions only). */
  readonly deadLetters?: sqs.Queue;

  constructor(scope: Construct, id: string, props: HeraldFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.logGroup = logGroup;
    // An own role instead of the managed AWSLambdaBasicExecutionRole: logs go to this group only.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Herald ${props.handler} function`,
    });
    logGroup.grantWrite(role);
    this.deadLetters =
      props.invocation === 'async'
        ? new sqs.Queue(this, 'DLQ', { enforceSSL: true, retentionPeriod: Duration.days(14) })
        : undefined;
    this.fn = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.handler),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      deadLetterQueue: this.deadLetters,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        TEMPLATES_DIR: '/var/task/templates',
        ...(props.sendsConfirmations ? { CONFIRM_TEMPLATE: '/var/task/templates/confirm.html' } : {}),
        HERALD_FUNCTION: `herald-${props.handler}`,
        ...props.environment,
      },
      bundling: {
        // Functions that do not render are ES modules: faster to load than CommonJS. The render
        // function stays CommonJS, where mjml's dynamic requires and __dirname work as written.
        format: props.rendersMjml ? OutputFormat.CJS : OutputFormat.ESM,
        target: 'node22',
        // The AWS SDK is bundled, not taken from the runtime: its ES module build tree-shakes to
        // the commands a function uses, loads faster than the runtime's CommonJS copy, and is the
        // version the tests ran against.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // Stack traces need file and line only; without the sources the map is a third the size,
        // and `--enable-source-maps` parses it at every cold start.
        sourcesContent: false,
        externalModules: props.rendersMjml ? [] : ['mjml'],
        esbuildArgs: {
          '--alias:@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS,
          ...(props.rendersMjml ? {} : { '--alias:http': HTTP_SHIM, '--alias:node:http': HTTP_SHIM }),
        },
        // CommonJS dependencies (nodemailer, mustache) `require` Node built-ins.
        ...(props.rendersMjml
          ? {}
          : {
              banner:
                "import { createRequire as __heraldRequire } from 'node:module'; const require = __heraldRequire(import.meta.url);",
            }),
        metafile: false,
        // Users edit templates without touching code; the handlers read them at run time.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp -R "${join(repoRoot, 'templates')}" "${outputDir}/templates"`,
            ...(props.sendsConfirmations
              ? [
                  `node "${join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')}" "${join(repoRoot, 'infra', 'scripts', 'compile-confirmation.ts')}" "${join(repoRoot, 'templates', 'confirm.mjml')}" "${outputDir}/templates/confirm.html"`,
                ]
              : []),
          ],
        },
      },
    });

    acknowledge(
      this,
      'AwsSolutions::AwsSolutions-L1',
      'Herald targets the Node.js 22 Lambda runtime on purpose (tested on 20 and 22)',
    );
    acknowledge(
      this,
      'Serverless::Serverless-LambdaLatestVersion',
      'Herald targets the Node.js 22 Lambda runtime on purpose (tested on 20 and 22)',
    );
    acknowledge(
      this,
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords and SES GetSendQuota have no resource-level permissions',
    );
    if (this.deadLetters) {
      acknowledge(
        this.deadLetters,
        'Serverless::Serverless-SQSRedrivePolicy',
        'This is a dead-letter queue (alarmed when not empty)',
      );
    }
    if (props.invocation === 'sqs') {
      acknowledge(
        this,
        'Serverless::Serverless-LambdaDLQ',
        "Invoked by SQS: failed messages go to the source queue's dead-letter queue",
      );
      acknowledge(
        this,
        'Serverless::Serverless-LambdaEventSourceMappingDestination',
        'SQS event sources cannot have an on-failure destination; the source queue redrives to its dead-letter queue',
      );
    } else if (props.invocation === 'http') {
      acknowledge(
        this,
        'Serverless::Serverless-LambdaDLQ',
        'Invoked synchronously by the HTTP API: the caller receives the error',
      );
    }
  }
}
