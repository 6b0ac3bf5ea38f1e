/**
 * The security headers the deployed stack serves, in a real browser: the response-headers policies
 * are read from the synthesized CloudFront distribution (the default behaviour's for site pages,
 * `/api/*`'s for the API), applied over what the origin sends the way CloudFront applies them, and
 * served locally. The API's pages (the real confirm handler's output) keep their inline `<style>`;
 * the site's CSP still refuses inline styles and scripts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { generateTokenKeys } from '../../functions/adapters/token-keys.ts';
import { createConfirmHandler } from '../../functions/handlers/confirm.ts';
import { createLocalSubscriptionDeps } from '../../functions/local/subscriptions.ts';
import { loadInfraConfig } from '../../infra/config.ts';
import { HeraldStack } from '../../infra/herald-stack.ts';
import { repoRoot } from '../../infra/paths.ts';
import { apiEvent } from '../integration/subscriptions/harness.ts';
import { describeWithBrowser, launchChromium } from '../support/chromium.ts';

type Headers = Record<string, string>;
interface SecurityHeadersConfig {
  ContentSecurityPolicy?: { ContentSecurityPolicy: string; Override: boolean };
  ContentTypeOptions?: { Override: boolean };
  FrameOptions?: { FrameOption: string; Override: boolean };
  ReferrerPolicy?: { ReferrerPolicy: string; Override: boolean };
  StrictTransportSecurity?: {
    AccessControlMaxAgeSec: number;
    IncludeSubdomains?: boolean;
    Override: boolean;
  };
}

/** What a policy adds, per header: its value and whether it replaces the origin's. */
function policyHeaders(config: SecurityHeadersConfig): [string, string, boolean][] {
  const out: [string, string, boolean][] = [];
  const c = config;
  if (c.ContentSecurityPolicy)
    out.push([
      'content-security-policy',
      c.ContentSecurityPolicy.ContentSecurityPolicy,
      c.ContentSecurityPolicy.Override,
    ]);
  if (c.ContentTypeOptions) out.push(['x-content-type-options', 'nosniff', c.ContentTypeOptions.Override]);
  if (c.FrameOptions) out.push(['x-frame-options', c.FrameOptions.FrameOption, c.FrameOptions.Override]);
  if (c.ReferrerPolicy)
    out.push(['referrer-policy', c.ReferrerPolicy.ReferrerPolicy, c.ReferrerPolicy.Override]);
  const hsts = c.StrictTransportSecurity;
  if (hsts)
    out.push([
      'strict-transport-security',
      `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? '; includeSubDomains' : ''}`,
      hsts.Override,
    ]);
  return out;
}

/** The origin's headers as CloudFront passes them on under a policy. */
function applyPolicy(origin: Headers, config: SecurityHeadersConfig): Headers {
  const result = { ...origin };
  for (const [name, value, override] of policyHeaders(config)) {
    if (override || result[name] === undefined) result[name] = value;
  }
  return result;
}

/** The synthesized stack's policies for site pages and for `/api/*`. */
function deployedPolicies(): { site: SecurityHeadersConfig; api: SecurityHeadersConfig } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const contentDir = join(repoRoot, 'content');
  const config = loadInfraConfig({ contentDir, context: (key) => app.node.tryGetContext(key) });
  const stack = new HeraldStack(app, 'Herald', { config, contentDir });
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const resources = template.Resources;
  const distribution = Object.values(resources).find((r) => r.Type === 'AWS::CloudFront::Distribution');
  const dc = distribution?.Properties.DistributionConfig as {
    DefaultCacheBehavior: { ResponseHeadersPolicyId: { Ref: string } };
    CacheBehaviors: { PathPattern: string; ResponseHeadersPolicyId: { Ref: string } }[];
  };
  const policy = (ref: { Ref: string } | undefined) => {
    const found = resources[ref?.Ref ?? '']?.Properties.ResponseHeadersPolicyConfig as
      | { SecurityHeadersConfig: SecurityHeadersConfig }
      | undefined;
    if (!found) throw new Error(`no response headers policy ${ref?.Ref}`);
    return found.SecurityHeadersConfig;
  };
  return {
    site: policy(dc.DefaultCacheBehavior.ResponseHeadersPolicyId),
    api: policy(dc.CacheBehaviors.find((b) => b.PathPattern === '/api/*')?.ResponseHeadersPolicyId),
  };
}

const SITE_PAGE = `<!doctype html><html><head><title>Recap</title>
<link rel="stylesheet" href="/style.css">
<style>body { background-color: rgb(1, 2, 3); }</style>
</head><body><main>A recap</main><script>document.title = 'script ran';</script></body></html>`;
const SITE_CSS = 'main { color: rgb(10, 20, 30); }';

let browser: Browser;
let server: Server;
let origin = '';
let policies: ReturnType<typeof deployedPolicies>;

beforeAll(async () => {
  policies = deployedPolicies();
  const deps = await createLocalSubscriptionDeps({
    dynamoEndpoint: inject('dynamoEndpoint'),
    sesEndpoint: inject('sesEndpoint'),
    tableName: 'headers-unused',
    siteUrl: 'http://127.0.0.1',
    keys: generateTokenKeys('h1'),
    holdConfirmations: true,
  });
  const confirm = createConfirmHandler(deps);
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/api/')) {
      // The real handler's page (an invalid link reads nothing), under the /api/* policy; the
      // `?policy=site` variant is how it was served before /api/* had its own policy.
      const answer = await confirm(apiEvent({ method: 'GET', path: url.pathname, query: { token: 'x' } }));
      const config = url.searchParams.get('policy') === 'site' ? policies.site : policies.api;
      res.writeHead(answer.statusCode ?? 200, applyPolicy(answer.headers as Headers, config));
      res.end(answer.body);
      return;
    }
    const css = url.pathname === '/style.css';
    const headers = applyPolicy(
      { 'content-type': css ? 'text/css' : 'text/html; charset=utf-8' },
      policies.site,
    );
    res.writeHead(200, headers);
    res.end(css ? SITE_CSS : SITE_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function open(path: string) {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy'))
      violations.push(message.text());
  });
  const response = await page.goto(`${origin}${path}`);
  return { page, violations, headers: response?.headers() ?? {} };
}

describeWithBrowser('the deployed security headers in a browser (issue 11 item 11)', () => {
  it("serves the API's page with its inline style applied and no CSP violation", async () => {
    const { page, violations, headers } = await open('/api/confirm');

    const maxWidth = await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth");

    expect(violations).toEqual([]);
    expect(maxWidth).toBe('576px');
    expect(headers['content-security-policy']).toContain("style-src 'unsafe-inline'");
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['strict-transport-security']).toContain('max-age=31536000');
    await page.close();
  });

  it("keeps the site's CSP: its stylesheet loads, inline style and script are refused", async () => {
    const { page, violations, headers } = await open('/');

    const styles = (await page.evaluate(`({
      background: getComputedStyle(document.body).backgroundColor,
      color: getComputedStyle(document.querySelector('main')).color,
      title: document.title,
    })`)) as { background: string; color: string; title: string };

    expect(headers['content-security-policy']).toContain("style-src 'self'");
    expect(styles.color).toBe('rgb(10, 20, 30)');
    expect(styles.background).not.toBe('rgb(1, 2, 3)');
    expect(styles.title).toBe('Recap');
    expect(violations.length).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it("would blank the API's page under the site's policy (why /api/* has its own)", async () => {
    const { page, violations } = await open('/api/confirm?policy=site');

    const maxWidth = await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth");

    expect(maxWidth).toBe('none');
    expect(violations.length).toBeGreaterThan(0);
    await page.close();
  });
});
