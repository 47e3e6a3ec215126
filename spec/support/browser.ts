import { chromium, type Browser } from 'playwright-core';
import { requireProgram } from './program.js';

export const chromiumPath = '/usr/bin/chromium';

/** Debian's Chromium, headless; pending (loudly) where it is missing, a failure under CI. */
export async function launchBrowser(context: Mocha.Context): Promise<Browser> {
  requireProgram(context, chromiumPath, 'apt-get install chromium');
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
