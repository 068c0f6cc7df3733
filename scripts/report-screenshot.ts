/**
 * `npm run report:screenshot -- [--date YYYY-MM-DD|latest] [--out FILE.png]`:
 * opens a nightly `report.html` in headless Chromium (Debian's `chromium`;
 * `apt-get install chromium`, or set CHROMIUM), driven by puppeteer-core,
 * and saves a full-height screenshot at 1,200 px wide, to check that the
 * page and its server-rendered charts display. Reads the report from a
 * running `npm start`, or starts the local stack itself.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import puppeteer from 'puppeteer-core';
import { s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { readReport, S3ReportStore } from '#lib/insights/report.ts';
import { localSettings } from '#local/settings.ts';
import { exitIfDataDirInUse, runningOrLocalStack } from '#local/stack.ts';

const { values } = parseArgs({ options: { date: { type: 'string' }, out: { type: 'string' } } });
const asked = values.date ?? 'latest';
if (asked !== 'latest' && !/^\d{4}-\d{2}-\d{2}$/.test(asked)) {
  console.error('--date must be YYYY-MM-DD or latest');
  process.exit(2);
}
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(
    `No Chromium at ${chromium}: apt-get install chromium (Debian), or set CHROMIUM=/path/to/chrome.`,
  );
  process.exit(2);
}
const settings = localSettings();
/** The width the report must be readable at. */
const SCREENSHOT_WIDTH_PX = 1200;

async function fetchHtml(): Promise<string> {
  const { bridgeUrl, stack } = await runningOrLocalStack(settings).catch(exitIfDataDirInUse);
  if (bridgeUrl) {
    const running = await fetch(`${bridgeUrl}/reports/${asked}?format=html`);
    if (running.ok) return running.text();
    throw new Error(`GET /reports/${asked} answered ${running.status}: ${await running.text()}`);
  }
  try {
    const served = await readReport(
      new S3ReportStore(s3Client(), config().reportsBucket),
      asked,
      'html',
    );
    if (served.format !== 'html') throw new Error(`readReport answered ${served.format}, not html`);
    return served.body;
  } finally {
    await stack?.emulators.stop();
  }
}

try {
  const html = await fetchHtml();
  const dir = join(settings.dataDir, 'reports');
  await mkdir(dir, { recursive: true });
  const page = resolve(dir, `report-${asked}.html`);
  const out = resolve(values.out ?? join(dir, `report-${asked}.png`));
  await writeFile(page, html);
  // The flags keep Chromium off the network: the page must need nothing outside itself.
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    userDataDir: join(dir, '.chromium-profile'),
  });
  try {
    const tab = await browser.newPage();
    const external: string[] = [];
    tab.on('request', (request) => {
      if (!request.url().startsWith('file:')) external.push(request.url());
    });
    await tab.setViewport({ width: SCREENSHOT_WIDTH_PX, height: 900 });
    await tab.goto(`file://${page}`, { waitUntil: 'load', timeout: 60_000 });
    await tab.screenshot({ path: out as `${string}.png`, fullPage: true });
    if (external.length > 0) {
      throw new Error(`the page asked for ${external.length} external resources: ${external[0]}`);
    }
  } finally {
    await browser.close();
  }
  if (!existsSync(out) || statSync(out).size === 0) throw new Error('Chromium made no screenshot');
  console.log(`Screenshot of ${page}: ${out} (${statSync(out).size} bytes)`);
} catch (error) {
  console.error(`Screenshot failed: ${(error as Error).message}`);
  process.exit(1);
}
