import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from 'html-to-text';
import Mustache from 'mustache';
import { describe, expect, it } from 'vitest';
import {
  ConfirmationTemplateError,
  compileConfirmationTemplate,
  createConfirmationEmailRenderer,
  textTemplatePath,
} from '../../functions/adapters/confirmation-email.ts';
import { escapeHtml } from '../../functions/core/escape-html.ts';

const CONFIRM_URL = 'https://recaps.test/api/confirm?token=k1.Y29uZmlybQ.c2ln';
const fixturesDir = fileURLToPath(new URL('../fixtures/confirmation', import.meta.url));

/** Writes the precompiled pair the bundling step ships, and returns the `.html` path. */
async function precompile(mjmlPath = 'templates/confirm.mjml'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-confirm-'));
  const htmlPath = join(dir, 'confirm.html');
  const { html, text } = await compileConfirmationTemplate(mjmlPath);
  await writeFile(htmlPath, html);
  await writeFile(textTemplatePath(htmlPath), text);
  return htmlPath;
}

interface Site {
  siteTitle: string;
  siteUrl: string;
  validDays: number;
}

/** The text part as the renderer derived it before precompiling: html-to-text over each email. */
function textFromRenderedHtml(htmlTemplate: string, site: Site, email: string, confirmUrl: string): string {
  const view = { ...site, email, confirmUrl, siteHost: new URL(site.siteUrl).host };
  return convert(Mustache.render(htmlTemplate, view, {}, { escape: escapeHtml }), {
    wordwrap: 78,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'img', format: 'skip' },
    ],
  });
}

const LONG_TOKEN = `k1.${'eyJzdWIiOiJ6b2VAZXhhbXBsZS5jaCIsImV4cCI6MTcwMDAwMDAwMH0'.repeat(3)}.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw`;

const realisticEmails: { name: string; site: Site; email: string; confirmUrl: string }[] = [
  {
    name: 'short values',
    site: { siteTitle: 'Test Meetups', siteUrl: 'https://recaps.test', validDays: 7 },
    email: 'ada@example.test',
    confirmUrl: CONFIRM_URL,
  },
  {
    name: 'non-ASCII site title and a long URL',
    site: {
      siteTitle: 'Café Zürich — Rencontres «Node»',
      siteUrl: 'https://rencontres.example.ch/recaps/',
      validDays: 30,
    },
    email: 'zoë.müller+recaps@example.ch',
    confirmUrl: `https://rencontres.example.ch/api/confirm?token=${LONG_TOKEN}&lang=fr`,
  },
  {
    name: 'a long site title that moves the line breaks',
    site: {
      siteTitle: 'Southern Hemisphere TypeScript and Serverless Practitioners',
      siteUrl: 'https://recaps.southern-hemisphere-typescript.example.org',
      validDays: 1,
    },
    email: 'first.middle.last.with.a.long.address@department.university.example.edu',
    confirmUrl: 'https://recaps.southern-hemisphere-typescript.example.org/api/confirm?token=k1.YQ.Yg',
  },
  {
    name: 'characters the HTML part escapes',
    site: { siteTitle: `Tom's <Dev> "Nights" & Co`, siteUrl: 'https://nights.example', validDays: 7 },
    email: 'o.brien&co@example.test',
    confirmUrl: 'https://nights.example/api/confirm?token=k1.a.b&x=<1>',
  },
];

describe('confirmation email', () => {
  it('renders templates/confirm.mjml with the link, the address and a text part', async () => {
    const render = createConfirmationEmailRenderer({
      templatePath: 'templates/confirm.mjml',
      siteTitle: 'Test Meetups',
      siteUrl: 'https://recaps.test',
      validDays: 7,
    });

    const email = await render({ email: 'ada@example.test', confirmUrl: CONFIRM_URL });

    expect(email.subject).toBe('Confirm your subscription to Test Meetups');
    expect(email.html).toContain(`href="${CONFIRM_URL}"`);
    expect(email.html).toContain('ada@example.test');
    expect(email.text).toContain(CONFIRM_URL);
    expect(email.text).toContain('The link works for 7 days.');
    await expect(email.html).toMatchFileSnapshot('__snapshots__/confirmation-email.html');
    await expect(email.text).toMatchFileSnapshot('__snapshots__/confirmation-email.txt');
  });

  it('escapes values, so a hostile site title cannot inject markup', async () => {
    const render = createConfirmationEmailRenderer({
      templatePath: 'templates/confirm.mjml',
      siteTitle: '<script>x</script>',
      siteUrl: 'https://recaps.test',
      validDays: 7,
    });

    const email = await render({ email: 'ada@example.test', confirmUrl: CONFIRM_URL });

    expect(email.html).not.toContain('<script>x</script>');
    expect(email.html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(email.text).toContain('<script>x</script> newsletter'); // plain text: nothing to escape
  });

  it('renders both parts from a precompiled .html and its .txt, values filled in', async () => {
    const render = createConfirmationEmailRenderer({
      templatePath: await precompile(),
      siteTitle: 'Test Meetups',
      siteUrl: 'https://recaps.test',
      validDays: 7,
    });

    const email = await render({ email: 'ada@example.test', confirmUrl: CONFIRM_URL });

    expect(email.html).toContain(`href="${CONFIRM_URL}"`);
    expect(email.text).toContain('Someone, hopefully you, asked to receive the Test Meetups newsletter at');
    expect(email.text).toContain(`Confirm my subscription\n[${CONFIRM_URL}]`);
    expect(email.text).toContain(`Or paste this link into your browser:\n${CONFIRM_URL}`);
    expect(email.text).toContain('The link works for 7 days.');
    expect(email.text).toContain('Test Meetups · recaps.test [https://recaps.test]');
    expect(email.text).not.toContain('{{');
  });

  it('fails naming the missing .txt when a precompiled .html comes without it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-confirm-'));
    const htmlPath = join(dir, 'confirm.html');
    await writeFile(htmlPath, (await compileConfirmationTemplate('templates/confirm.mjml')).html);
    const render = createConfirmationEmailRenderer({
      templatePath: htmlPath,
      siteTitle: 'Test Meetups',
      siteUrl: 'https://recaps.test',
      validDays: 7,
    });

    const rendering = render({ email: 'ada@example.test', confirmUrl: CONFIRM_URL });

    await expect(rendering).rejects.toThrow(ConfirmationTemplateError);
    await expect(rendering).rejects.toThrow(`${join(dir, 'confirm.txt')}: cannot read the text part`);
  });

  describe.each(realisticEmails)(
    'gives the text part html-to-text gave for $name',
    ({ site, email, confirmUrl }) => {
      it.each([
        ['precompiled', precompile],
        ['mjml', async () => 'templates/confirm.mjml'],
      ])('from the %s template', async (_, templatePath) => {
        const render = createConfirmationEmailRenderer({ templatePath: await templatePath(), ...site });
        const { html: htmlTemplate } = await compileConfirmationTemplate('templates/confirm.mjml');

        const rendered = await render({ email, confirmUrl });

        expect(rendered.text).toBe(textFromRenderedHtml(htmlTemplate, site, email, confirmUrl));
        expect(rendered.text).toContain(confirmUrl);
      });
    },
  );

  it('refuses to compile a template whose heading would upper-case a placeholder', async () => {
    const mjmlPath = join(fixturesDir, 'heading-placeholder.mjml');

    const compiling = compileConfirmationTemplate(mjmlPath);

    await expect(compiling).rejects.toThrow(ConfirmationTemplateError);
    await expect(compiling).rejects.toThrow(
      `${mjmlPath}: the text part turns the placeholder {{siteTitle}} into "{{SITETITLE}}"`,
    );
  });

  it('refuses to compile a template whose text the renderer could not wrap as html-to-text does', async () => {
    const mjmlPath = join(fixturesDir, 'indented-list.mjml');

    const compiling = compileConfirmationTemplate(mjmlPath);

    await expect(compiling).rejects.toThrow(`${mjmlPath}: the text part cannot be precompiled`);
  });

  it('maps confirm.html to confirm.txt', () => {
    expect(textTemplatePath('/var/task/templates/confirm.html')).toBe('/var/task/templates/confirm.txt');
  });
});
