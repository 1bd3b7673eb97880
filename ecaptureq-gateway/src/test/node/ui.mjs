// Drives the gateway's browser view in headless Chromium (playwright-core, system chromium).
// A line protocol with the Java test on stdin/stdout:
//   -> READY            page loaded and its WebSocket is live: publish the first events
//   <- go
//   -> PAUSED           event seen, detail checked, view paused: publish the held event
//   <- go
//   -> {"result": ...}  final observations (JSON), screenshot written
// Any failure prints {"error": "..."} and exits 1.
//
// usage: node ui.mjs PAGE_URL SCREENSHOT_PATH CHROMIUM_PATH
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';

const [pageUrl, screenshot, executablePath] = process.argv.slice(2);
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const say = (s) => process.stdout.write((typeof s === 'string' ? s : JSON.stringify(s)) + '\n');
const waitGo = async () => {
  const { value, done } = await lines.next();
  if (done || value.trim() !== 'go') throw new Error('expected go, got ' + value);
};

const profile = mkdtempSync(join(tmpdir(), 'gateway-ui-'));
const pageErrors = [];
let context;
let page;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()); });

  await page.goto(pageUrl);
  await page.waitForSelector('#state.open', { timeout: 15000 });
  say('READY');
  await waitGo();

  const row = page.locator('#events tbody tr', { hasText: 'ui-visible' });
  await row.first().waitFor({ timeout: 10000 });
  const rowCells = await row.first().locator('td').allTextContents();
  const hiddenRows = await page.locator('#events tbody tr', { hasText: 'ui-filtered-out' }).count();
  await row.first().click();
  await page.waitForFunction(
    () => document.getElementById('detail-body').textContent.includes('ui-visible'), null, { timeout: 5000 });
  const detail = await page.locator('#detail-body').textContent();
  const meta = await page.locator('#detail-meta').textContent();

  await page.click('#pause');
  await page.waitForSelector('#state.paused', { timeout: 5000 });
  say('PAUSED');
  await waitGo();
  await page.waitForFunction(
    () => document.getElementById('counts').textContent.includes('1 held'), null, { timeout: 10000 });
  const heldRowsWhilePaused = await page.locator('#events tbody tr', { hasText: 'ui-held' }).count();
  await page.click('#pause');
  await page.locator('#events tbody tr', { hasText: 'ui-held' }).first().waitFor({ timeout: 5000 });
  const logs = await page.locator('#log-lines').textContent();

  await row.first().click();
  await page.screenshot({ path: screenshot });
  say({ result: { rowCells, hiddenRows, detail, meta, heldRowsWhilePaused, logs, pageErrors } });
} catch (err) {
  let html = '';
  try {
    html = await page.locator('#events tbody').innerHTML();
    await page.screenshot({ path: screenshot });
  } catch {
    // the page itself may be gone
  }
  say({ error: String(err && err.stack || err), pageErrors, rows: html.slice(0, 2000) });
  process.exitCode = 1;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(process.exitCode ?? 0);
}
