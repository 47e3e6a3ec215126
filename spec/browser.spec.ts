import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { app } from '../samples/counter.js';
import { requireProgram } from './support/program.js';
import { startServer, type TestServer } from './support/server.js';

const executablePath = '/usr/bin/chromium';

describe('the counter page in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let server: TestServer | undefined;

  before(async function () {
    requireProgram(this, executablePath, 'apt-get install chromium');
    browser = await chromium.launch({
      executablePath,
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
    server = await startServer(app);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('should count to "Counter: 9" and then stop instead of starting over', async () => {
    const page = await browser!.newPage();
    await page.goto(`${server!.origin}/`);
    await page.waitForFunction(
      () => document.querySelector('div')?.textContent === 'Counter: 1',
      undefined,
      {
        timeout: 5000,
      },
    );
    await page.waitForFunction(
      () => document.querySelector('div')?.textContent === 'Counter: 9',
      undefined,
      {
        timeout: 15_000,
      },
    );
    // The stream completed; EventSource reconnects with Last-Event-ID 9, gets 204, and closes.
    await page.waitForFunction(
      () => document.getElementById('status')?.textContent === 'done',
      undefined,
      {
        timeout: 15_000,
      },
    );
    expect(await page.textContent('div')).to.equal('Counter: 9');
  });
});
