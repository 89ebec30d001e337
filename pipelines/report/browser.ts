/**
 * Debian's chromium driven by playwright-core (no browser download): the screenshot script and
 * the browser tests open reports from disk with it. A fresh profile folder per launch.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: import('playwright-core').BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new InputError(
      `report: expected a chromium binary at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH), got none`,
    );
  // playwright-core is a development dependency: loaded only here.
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'anet-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
