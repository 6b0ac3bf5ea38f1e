import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('subscription function bundles', () => {
  it.each(['subscribe', 'resend'])(
    '%s leaves html-to-text out (its text part is precompiled)',
    async (handler) => {
      // Bundled as infra/constructs/herald-function.ts bundles functions that do not render
      const { metafile } = await build({
        entryPoints: [`functions/handlers/${handler}.ts`],
        absWorkingDir: repoRoot,
        bundle: true,
        platform: 'node',
        format: 'esm',
        mainFields: ['module', 'main'],
        external: ['mjml'],
        write: false,
        metafile: true,
        logLevel: 'silent',
      });

      const inputs = Object.keys(metafile.inputs);
      expect(inputs).toContain('functions/adapters/confirmation-email.ts');
      expect(
        inputs.filter((input) => /node_modules\/(html-to-text|selderee|parseley)\//.test(input)),
      ).toEqual([]);
    },
  );
});
