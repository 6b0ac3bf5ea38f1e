/**
 * Output keys of the deployed stack: the CDK app writes them, `herald doctor` and the publish
 * workflow read them. Stable names (no construct-path hash), so `aws cloudformation
 * describe-stacks` shows them as written here.
 */
export const STACK_OUTPUTS = {
  /** CloudFront URL of the site, `https://d123.cloudfront.net`. */
  siteUrl: 'SiteUrl',
  /** The site's public URL from site.yml (`url` + `baseurl`). */
  publicSiteUrl: 'PublicSiteUrl',
  /** CloudFront distribution domain, `d123.cloudfront.net`. */
  distributionDomain: 'DistributionDomain',
  contentBucket: 'ContentBucket',
  /** Site bucket and CloudFront distribution id: the publish workflow copies assets without a deploy. */
  siteBucket: 'SiteBucket',
  distributionId: 'DistributionId',
  subscribersTable: 'SubscribersTable',
  /** For `herald campaigns --table` and `herald campaign POST --follow --table`. */
  campaignsTable: 'CampaignsTable',
  mailDomain: 'MailDomain',
  mailFromDomain: 'MailFromDomain',
  configurationSet: 'ConfigurationSet',
  unsubscribeAddress: 'UnsubscribeAddress',
  inboundRuleSet: 'InboundRuleSet',
  inboundMx: 'InboundMx',
  dmarcRecord: 'DmarcRecord',
  mailFromMx: 'MailFromMx',
  mailFromSpf: 'MailFromSpf',
  /** `DkimRecord1` … `DkimRecord3`. */
  dkimRecordPrefix: 'DkimRecord',
} as const;
