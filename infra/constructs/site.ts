import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_SECRET_HEADER, SITE_CONTENT_SECURITY_POLICY } from '../../functions/core/http.ts';
import { acknowledge } from '../nag.ts';
import { privateBucketProps } from './storage.ts';

export interface SiteProps {
  accessLogs: s3.IBucket;
  /** Routes `/api/*` to this host (the API's custom domain, or its execute-api host). */
  apiHost: string;
  /** Its `value` goes in the origin header every `/api/*` request carries to the API. */
  apiOriginSecret: secretsmanager.ISecret;
  domain?: { name: string; certificateArn: string };
}

// Jekyll-style permalinks may end in '/', which S3 does not resolve to index.html on its own.
// Herald's state lives in its own bucket; /_herald/ (where older versions kept it) stays refused.
const indexRewrite = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.indexOf('/_herald/') === 0) {
    return { statusCode: 404, statusDescription: 'Not Found' };
  }
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  } else if (!uri.split('/').pop().includes('.')) {
    request.uri = uri + '/index.html';
  }
  return request;
}`;

/**
 * The public site: a private bucket behind CloudFront (origin access control, HTTPS only,
 * security headers, compression). Feeds get a short cache so readers see new posts quickly;
 * `/api/*` goes to the subscription API uncached.
 */
export class Site extends Construct {
  readonly bucket: s3.Bucket;
  /**
   * The publish handler's post index and fragments, drafts included: private, and no CloudFront
   * origin points at it, so nothing in it is ever served.
   */
  readonly stateBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: SiteProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', privateBucketProps(props.accessLogs, 'site/'));
    this.stateBucket = new s3.Bucket(this, 'StateBucket', privateBucketProps(props.accessLogs, 'state/'));
    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    const commonHeaders = {
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      referrerPolicy: {
        referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
        override: true,
      },
      strictTransportSecurity: {
        accessControlMaxAge: Duration.days(365),
        includeSubdomains: true,
        override: true,
      },
    } satisfies cloudfront.ResponseSecurityHeadersBehavior;
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      securityHeadersBehavior: {
        ...commonHeaders,
        contentSecurityPolicy: { contentSecurityPolicy: SITE_CONTENT_SECURITY_POLICY, override: true },
      },
    });
    // The API's pages send their own CSP (core/http.ts) allowing their inline <style>; the site's
    // `style-src 'self'` would blank them, so /api/* keeps the origin's CSP and gets the rest.
    const apiHeaders = new cloudfront.ResponseHeadersPolicy(this, 'ApiSecurityHeaders', {
      comment: "Subscription API: the handlers' own Content-Security-Policy, plus the site's other headers",
      securityHeadersBehavior: commonHeaders,
    });
    const feedCache = new cloudfront.CachePolicy(this, 'FeedCache', {
      comment: 'Feeds: five minutes, so new posts reach feed readers quickly',
      defaultTtl: Duration.minutes(5),
      maxTtl: Duration.minutes(5),
      minTtl: Duration.seconds(0),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const apiRequests = new cloudfront.OriginRequestPolicy(this, 'ApiRequests', {
      comment: 'Subscription API: forward what the handlers read, never the Host header',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(
        'CloudFront-Viewer-Address',
        'User-Agent',
        'Referer',
        'Content-Type',
        'Accept',
        'Origin',
      ),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    const rewrite = new cloudfront.Function(this, 'IndexRewrite', {
      code: cloudfront.FunctionCode.fromInline(indexRewrite),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });
    const feedBehavior: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: feedCache,
      responseHeadersPolicy: headers,
      compress: true,
    };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Herald site, feeds and subscription API',
      defaultRootObject: 'index.html',
      minimumProtocolVersion: props.domain ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.accessLogs,
      logFilePrefix: 'cloudfront/',
      domainNames: props.domain ? [props.domain.name] : undefined,
      certificate: props.domain
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn)
        : undefined,
      // Without s3:ListBucket, S3 answers 403 for a missing key; readers should see the 404 page.
      errorResponses: [
        { httpStatus: 403, responseHttpStatus: 404, responsePagePath: '/404.html', ttl: Duration.minutes(1) },
        { httpStatus: 404, responseHttpStatus: 404, responsePagePath: '/404.html', ttl: Duration.minutes(1) },
      ],
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations: [{ function: rewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        '*.xml': feedBehavior,
        '*.json': feedBehavior,
        '/api/*': {
          origin: new origins.HttpOrigin(props.apiHost, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            // A dynamic reference: CloudFormation resolves it at deploy; the template holds no value.
            customHeaders: {
              [ORIGIN_SECRET_HEADER]: props.apiOriginSecret.secretValueFromJson('value').unsafeUnwrap(),
            },
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: apiRequests,
          responseHeadersPolicy: apiHeaders,
        },
      },
    });
    this.acknowledgeFindings(props.domain !== undefined);
  }

  private acknowledgeFindings(customDomain: boolean): void {
    const d = this.distribution;
    acknowledge(
      d,
      'AwsSolutions::AwsSolutions-CFR1',
      'A public newsletter archive is meant for readers in every country',
    );
    acknowledge(
      d,
      'AwsSolutions::AwsSolutions-CFR2',
      'Static pages and feeds; the only dynamic path (/api/*) is throttled per stage and rate-limited per IP in the handler. Add WAF via config if abuse appears',
    );
    if (!customDomain) {
      acknowledge(
        d,
        'AwsSolutions::AwsSolutions-CFR4',
        'Without a custom domain CloudFront serves its default certificate, whose TLS policy cannot be set; with herald:siteDomain the policy is TLSv1.2_2021',
      );
    }
  }

  /** The site's public origin, e.g. `https://d123.cloudfront.net`. */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
