import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ConfigError, loadInfraConfig } from './config.ts';
import { HeraldStack } from './herald-stack.ts';
import { repoRoot } from './paths.ts';

const app = new App();
const contentDir = join(repoRoot, 'content');
try {
  const config = loadInfraConfig({ contentDir, context: (key) => app.node.tryGetContext(key) });
  new HeraldStack(app, String(app.node.tryGetContext('herald:stackName') ?? 'Herald'), {
    config,
    contentDir,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: 'Herald: newsletter and feeds for a community blog',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`herald: configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
