import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { assistantServer } from '../samples/assistant/server.js';
import { launchBrowser } from './support/browser.js';
import { startServer, type TestServer } from './support/server.js';

describe('samples/assistant: the page, in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let server: TestServer | undefined;
  const prompt = 'to be or not to be that is the question';

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Opens the page on a fresh server whose model says a word every `tokenDelay` ms. */
  async function open(tokenDelay: number) {
    server = await startServer(assistantServer({ tokenDelay }));
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.origin}/`);
    return { page, errors };
  }

  it('should show a whole answer, word by word, read with a POST', async () => {
    const { page, errors } = await open(5);
    await page.fill('#prompt', prompt);
    await page.click('button');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done');
    expect(await page.textContent('#answer')).to.equal(prompt);
    expect(errors).to.deep.equal([]);
  });

  it('should carry on after a reload mid-answer, no word missing or repeated', async () => {
    const { page, errors } = await open(150);
    await page.fill('#prompt', prompt);
    await page.click('button');
    await page.waitForFunction(
      () => (document.getElementById('answer')?.textContent ?? '').split(' ').length >= 3,
    );
    await page.reload();
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done');
    expect(await page.textContent('#answer')).to.equal(prompt);
    expect(errors).to.deep.equal([]);
  });

  it('should carry on after the connection drops mid-answer, no word missing or repeated', async () => {
    const { page, errors } = await open(150);
    await page.fill('#prompt', prompt);
    await page.click('button');
    await page.waitForFunction(
      () => (document.getElementById('answer')?.textContent ?? '').split(' ').length >= 3,
    );
    // Cut every connection the server has: the page's POST among them.
    server!.server.closeAllConnections();
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done');
    expect(await page.textContent('#answer')).to.equal(prompt);
    expect(errors).to.deep.equal([]);
  });
});
