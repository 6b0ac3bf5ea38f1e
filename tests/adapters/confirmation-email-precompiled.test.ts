import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { createConfirmationEmailRenderer } from '../../functions/adapters/confirmation-email.ts';

// Lambdas render from the precompiled pair and must never load html-to-text: count its loads.
const htmlToText = vi.hoisted(() => ({ loads: 0 }));
vi.mock('html-to-text', async (importOriginal) => {
  htmlToText.loads += 1;
  return importOriginal();
});

const precompiled = fileURLToPath(
  new URL('../fixtures/confirmation/precompiled/confirm.html', import.meta.url),
);
const SITE = { siteTitle: 'Café Zürich', siteUrl: 'https://recaps.test', validDays: 7 };

describe('confirmation email from a precompiled template', () => {
  it('renders both parts without loading html-to-text', async () => {
    const render = createConfirmationEmailRenderer({ templatePath: precompiled, ...SITE });

    const email = await render({ email: 'ada@example.test', confirmUrl: 'https://recaps.test/c?t=a&b' });

    expect(htmlToText.loads).toBe(0);
    expect(email.html).toContain(
      '<a href="https://recaps.test/c?t=a&amp;b">https://recaps.test/c?t=a&amp;b</a>',
    );
    expect(email.text).toBe(
      'Confirm Café Zürich for ada@example.test: https://recaps.test/c?t=a&b\n\n' +
        '7 days · recaps.test [https://recaps.test]',
    );
  });

  it('loads html-to-text from the MJML source (so the count above would see a load)', async () => {
    const render = createConfirmationEmailRenderer({ templatePath: 'templates/confirm.mjml', ...SITE });

    const email = await render({ email: 'ada@example.test', confirmUrl: 'https://recaps.test/c' });

    expect(htmlToText.loads).toBe(1);
    expect(email.text).toContain('Café Zürich newsletter');
  });
});
