import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe, it } from 'vitest';

/**
 * Debian's Chromium (installed by .ci/run); another Chromium-based browser through CHROMIUM_PATH,
 * e.g. Google Chrome on GitHub's runners. Nothing ever downloads a browser.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Without the networking flags Chromium stalls on a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Starts a headless browser for one test file. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Whether the browser is installed on this machine. */
export const BROWSER_AVAILABLE = existsSync(CHROMIUM_PATH);

// In CI a missing browser fails the run (.ci/run installs it). On a developer machine without
// Chromium, `npm test` still passes and vitest lists the browser tests as skipped.
const required = BROWSER_AVAILABLE || Boolean(process.env.CI);

/** `describe` for suites that drive a real browser. */
export const describeWithBrowser = required ? describe : describe.skip;

/** `it` for a single test that drives a real browser. */
export const itWithBrowser = required ? it : it.skip;
