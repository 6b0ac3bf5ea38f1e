import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileConfirmationTemplate,
  createConfirmationEmailRenderer,
} from '../../functions/adapters/confirmation-email.ts';

const CONFIRM_URL = 'https://recaps.test/api/confirm?token=k1.Y29uZmlybQ.c2ln';

describe('confirmation email', () => {
  it('renders templates/confirm.mjml with the link, the address and a text part', async () => {
    // Prepare
    const render = createConfirmationEmailRenderer({
      templatePath: 'templates/confirm.mjml',
      siteTitle: 'Test Meetups',
      siteUrl: 'https://recaps.test',
      validDays: 7,
    });

    // Act
    const email = await render({ email: 'ada@example.test', confirmUrl: CONFIRM_URL });

    // Assert
    expect(email.subject).toBe('Confirm your subscription to Test Meetups');
    expect(email.html).toContain(`href="${CONFIRM_URL}"`);
    expect(email.html).toContain('ada@example.test');
    expect(email.text).toContain(CONFIRM_URL);
    expect(email.text).toContain('The link works for 7 days.');
    await expect(email.html).toMatchFileSnapshot('__snapshots__/confirmation-email.html');
  });

  it('escapes values, so a hostile site title cannot inject markup', async () => {
    // Prepare
    const render = createConfirmationEmailRenderer({
      templatePath: 'templates/confirm.mjml',
      siteTitle: '<script>x</script>',
      siteUrl: 'https://recaps.test',
      validDays: 7,
    });

    // Act
    const email = await render({ email: 'ada@example.test', confirmUrl: CONFIRM_URL });

    // Assert
    expect(email.html).not.toContain('<script>x</script>');
    expect(email.html).toContain('&lt;script&gt;x&lt;/script&gt;');
  });

  it('uses a precompiled .html template as is (no mjml on that path)', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'herald-confirm-'));
    const compiled = join(dir, 'confirm.html');
    await writeFile(compiled, await compileConfirmationTemplate('templates/confirm.mjml'));
    const render = createConfirmationEmailRenderer({
      templatePath: compiled,
      siteTitle: 'Test Meetups',
      siteUrl: 'https://recaps.test',
      validDays: 7,
    });

    // Act
    const email = await render({ email: 'ada@example.test', confirmUrl: CONFIRM_URL });

    // Assert
    expect(email.html).toContain(`href="${CONFIRM_URL}"`);
  });
});
