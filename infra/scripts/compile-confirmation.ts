/**
 * Bundling step for the subscription functions: compiles `templates/confirm.mjml` to its HTML
 * part and, next to it with `.txt` for `.html`, its text part (Mustache placeholders intact in
 * both), so those functions load neither mjml nor html-to-text at run time. Exits non-zero, naming
 * the template and the placeholder, when the text part cannot be precompiled, so the bundling
 * (and `cdk synth`) fails instead of shipping a broken email.
 * Usage: compile-confirmation.ts <templates/confirm.mjml> <out.html>
 */
import { writeFile } from 'node:fs/promises';
import {
  compileConfirmationTemplate,
  textTemplatePath,
} from '../../functions/adapters/confirmation-email.ts';

const [source, target] = process.argv.slice(2);
if (!source || !target?.endsWith('.html')) {
  console.error('usage: compile-confirmation.ts <confirm.mjml> <out.html>');
  process.exit(2);
}
try {
  const { html, text } = await compileConfirmationTemplate(source);
  await Promise.all([writeFile(target, html), writeFile(textTemplatePath(target), text)]);
} catch (error) {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  console.error(`compile-confirmation: ${error instanceof Error ? error.message : String(error)}${cause}`);
  process.exit(1);
}
