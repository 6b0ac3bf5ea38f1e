import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/paths.ts';

/**
 * The packages in one handler's bundle, as esbuild's tree-shaking leaves it: what a cold start
 * loads. The AWS SDK is bundled here (not external) so the import graph shows which clients it needs.
 */
async function bundledPackages(handler: string): Promise<{ packages: Set<string>; files: Set<string> }> {
  const result = await build({
    entryPoints: [join(repoRoot, 'functions/handlers', `${handler}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    mainFields: ['module', 'main'],
    external: ['mjml'],
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: repoRoot,
    outfile: join(repoRoot, `${handler}.mjs`),
  });
  const packages = new Set<string>();
  const files = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      if (pkg) packages.add(pkg);
      else files.add(input);
    }
  }
  return { packages, files };
}

describe('delivery Lambda bundles', () => {
  it.each(['fanout', 'reconcile'])(
    'keeps SES, Secrets Manager, S3, nodemailer and token keys out of %s',
    async (handler) => {
      const { packages, files } = await bundledPackages(handler);

      expect(packages).toContain('@aws-sdk/client-dynamodb');
      expect(packages).toContain('@aws-sdk/client-sqs');
      for (const heavy of [
        '@aws-sdk/client-ses',
        '@aws-sdk/client-secrets-manager',
        '@aws-sdk/client-s3',
        'nodemailer',
      ]) {
        expect(packages, heavy).not.toContain(heavy);
      }
      expect(files).not.toContain('functions/adapters/token-keys.ts');
      expect(files).not.toContain('functions/app/send-batch.ts');
    },
    30_000,
  );

  it('keeps S3 out of send', async () => {
    const { packages, files } = await bundledPackages('send');

    expect(packages).toContain('@aws-sdk/client-ses');
    expect(files).toContain('functions/adapters/token-keys.ts');
    expect(packages).not.toContain('@aws-sdk/client-s3');
  }, 30_000);
});
