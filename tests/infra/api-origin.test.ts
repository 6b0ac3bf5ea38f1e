import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ORIGIN_SECRET_HEADER } from '../../functions/core/http.ts';
import { loadInfraConfig } from '../../infra/config.ts';
import { HeraldStack } from '../../infra/herald-stack.ts';
import { repoRoot } from '../../infra/paths.ts';

const contentDir = join(repoRoot, 'content');

function synth(context: Record<string, string> = {}) {
  // No bundling: these tests read the template only.
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const config = loadInfraConfig({ contentDir, context: (key) => app.node.tryGetContext(key) });
  const stack = new HeraldStack(app, 'Herald', {
    config,
    contentDir,
    env: { account: '123456789012', region: 'eu-central-1' },
  });
  return { stack, template: Template.fromStack(stack) };
}

function apiOrigin(template: Template): Record<string, unknown> {
  const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution')) as {
    Properties: { DistributionConfig: { Origins: Record<string, unknown>[] } };
  }[];
  const origin = distribution?.Properties.DistributionConfig.Origins.find((o) => 'CustomOriginConfig' in o);
  if (!origin) throw new Error('no custom (API) origin');
  return origin;
}

describe('the API is reachable only through CloudFront (issue 11 item 9)', () => {
  it('has CloudFront send a generated secret header, by reference only, that every API function may read', () => {
    const { stack, template } = synth();
    const secretId = stack.getLogicalId(stack.subscribers.originSecret.node.defaultChild as never);

    const headers = apiOrigin(template).OriginCustomHeaders as { HeaderName: string; HeaderValue: unknown }[];

    expect(headers.map((h) => h.HeaderName)).toEqual([ORIGIN_SECRET_HEADER]);
    const value = JSON.stringify(headers[0]?.HeaderValue);
    expect(value).toContain('{{resolve:secretsmanager:');
    expect(value).toContain(secretId);
    expect(value).toContain(':SecretString:value::}}');
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'value', PasswordLength: 48 }),
    });
    const api = stack.subscribers;
    for (const fn of [api.subscribe, api.confirm, api.resend, api.unsubscribe, api.preferences]) {
      const props =
        template.toJSON().Resources[stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties;
      expect(props.Environment.Variables.ORIGIN_SECRET_ID, fn.node.id).toEqual({ Ref: secretId });
    }
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => {
      const doc = JSON.stringify(
        (p as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument,
      );
      return doc.includes('secretsmanager:GetSecretValue') && doc.includes(secretId);
    });
    expect(readers).toHaveLength(5);
  });

  it('keeps the execute-api endpoint only while CloudFront has no other name to reach the API at', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: false });
    expect(JSON.stringify(apiOrigin(template).DomainName)).toContain('ApiEndpoint');
  });

  it('disables the execute-api endpoint and routes CloudFront to the API domain when herald:apiDomain is set', () => {
    const { template } = synth({
      'herald:apiDomain': 'api-origin.recaps.example.org',
      'herald:apiCertificateArn': 'arn:aws:acm:eu-central-1:123456789012:certificate/abc',
    });

    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api-origin.recaps.example.org',
    });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    expect(apiOrigin(template).DomainName).toBe('api-origin.recaps.example.org');
    template.hasOutput('ApiOriginRecord', {});
  });
});
