import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The bundle's inputs, bundled as infra/constructs/herald-function.ts bundles functions that do not render. */
async function bundleInputs(handler: string): Promise<string[]> {
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
  return Object.keys(metafile.inputs);
}

describe('subscription function bundles', () => {
  it('the confirm-mailer renders confirmations and leaves html-to-text out (its text part is precompiled)', async () => {
    const inputs = await bundleInputs('confirm-mailer');

    expect(inputs).toContain('functions/adapters/confirmation-email.ts');
    expect(inputs.filter((input) => /node_modules\/(html-to-text|selderee|parseley)\//.test(input))).toEqual(
      [],
    );
  });

  it.each(['subscribe', 'resend', 'confirm', 'unsubscribe', 'preferences'])(
    '%s carries neither SES nor the confirmation email (the confirm-mailer sends)',
    async (handler) => {
      const inputs = await bundleInputs(handler);

      expect(
        inputs.filter((input) => /client-ses\/|confirmation-email\.ts|ses-mailer\.ts/.test(input)),
      ).toEqual([]);
    },
  );
});
