// Drives the gateway's browser view in headless Chromium (playwright-core, system chromium).
// A line protocol with the Java test on stdin/stdout:
//   -> READY            page loaded and its WebSocket is live: publish the first events
//   <- go
//   -> PAUSED           pairs seen, sorted, filtered, a body downloaded, view paused: publish the held event
//   <- go
//   -> {"result": ...}  final observations (JSON), screenshot written
// Any failure prints {"error": "..."} and exits 1.
//
// usage: node ui.mjs PAGE_URL SCREENSHOT_PATH CHROMIUM_PATH
import { chromium } from 'playwright-core';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    acceptDownloads: true,
    viewport: { width: 1600, height: 800 },
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

  // three request/response pairs: each is one row once its response arrived
  const rowsOf = (text) => page.locator('#events tbody tr', { hasText: text });
  for (const path of ['/ui-visible', '/slow', '/big']) {
    await rowsOf(path).first().waitFor({ timeout: 10000 });
  }
  await page.waitForFunction(() => [...document.querySelectorAll('#events tbody td.status')]
    .filter((td) => /^[0-9]{3}$/.test(td.textContent)).length === 3, null, { timeout: 10000 });
  const rowCount = await page.locator('#events tbody tr').count();
  const rowCells = await rowsOf('/ui-visible').first().locator('td').allTextContents();
  const hiddenRows = await rowsOf('ui-filtered-out').count();
  const visiblePaths = async () => page.$$eval('#events tbody tr',
    (trs) => trs.filter((tr) => !tr.hidden).map((tr) => tr.querySelector('td.path').textContent));

  // sorting by clicking headers
  await page.click('#events th[data-sort="latency"]');
  const byLatencyDesc = await visiblePaths();
  await page.click('#events th[data-sort="latency"]');
  const byLatencyAsc = await visiblePaths();
  await page.click('#events th[data-sort="status"]');
  const byStatus = await visiblePaths();

  // view filters: status and latency
  await page.fill('#f-status', '4xx');
  const status4xx = await visiblePaths();
  await page.fill('#f-status', '');
  await page.fill('#f-latency', '10');
  const slowerThan10ms = await visiblePaths();
  await page.fill('#f-latency', '');
  await page.fill('#f-workload', 'checkout');
  const inCheckout = await visiblePaths();
  await page.fill('#f-workload', '');

  // the large response: shown in part, downloaded whole
  await rowsOf('/big').first().click();
  await page.waitForSelector('#detail-body .part.response', { timeout: 5000 });
  const bigDetail = await page.locator('#detail-body .part.response pre').textContent();
  const bigDetailChars = bigDetail.length;
  const bigDetailEnd = bigDetail.slice(-80);
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 10000 }),
    page.click('#detail-body .part.response button.download'),
  ]);
  const saved = join(profile, 'download.bin');
  await download.saveAs(saved);
  const bytes = readFileSync(saved);
  const downloaded = { name: download.suggestedFilename(), size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex') };

  await rowsOf('/ui-visible').first().click();
  await page.waitForFunction(
    () => document.getElementById('detail-body').textContent.includes('HTTP/1.1 200 OK'), null, { timeout: 5000 });
  const detail = await page.locator('#detail-body').textContent();
  const meta = await page.locator('#detail-meta').textContent();

  await page.click('#pause');
  await page.waitForSelector('#state.paused', { timeout: 5000 });
  say('PAUSED');
  await waitGo();
  await page.waitForFunction(
    () => document.getElementById('counts').textContent.includes('1 held'), null, { timeout: 10000 });
  const heldRowsWhilePaused = await rowsOf('ui-held').count();
  await page.click('#pause');
  await rowsOf('ui-held').first().waitFor({ timeout: 5000 });
  const logs = await page.locator('#log-lines').textContent();

  await page.click('#events th[data-sort="time"]');
  await rowsOf('/ui-visible').first().click();
  await page.screenshot({ path: screenshot });
  say({ result: { rowCount, rowCells, hiddenRows, byLatencyDesc, byLatencyAsc, byStatus, status4xx,
    slowerThan10ms, inCheckout, bigDetailChars, bigDetailEnd, downloaded, detail, meta, heldRowsWhilePaused, logs,
    pageErrors } });
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
