/**
 * Bundling step for the subscription functions: compiles `templates/confirm.mjml` to HTML (its
 * Mustache placeholders intact) so those functions never load mjml at run time.
 * Usage: compile-confirmation.ts <templates/confirm.mjml> <out.html>
 */
import { writeFile } from 'node:fs/promises';
import { compileConfirmationTemplate } from '../../functions/adapters/confirmation-email.ts';

const [source, target] = process.argv.slice(2);
if (!source || !target) {
  console.error('usage: compile-confirmation.ts <confirm.mjml> <out.html>');
  process.exit(2);
}
await writeFile(target, await compileConfirmationTemplate(source));
