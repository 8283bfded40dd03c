import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { BatchStatusView } from '@rjs/core';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium';
import { eventually } from '../support/eventually';
import { TestRedis } from '../support/redis-server';
import { http } from '../e2e/scheduler-app';
import { type OpsApp, startOpsApp } from '../ops/ops-app';

const JOBS = 10_000;

/**
 * A batch of 10,000 jobs in the console (api role alone: the jobs stay Waiting), in Debian's
 * chromium: the table is paged, so the page draws 100 rows and stays usable; how long the first
 * page took is printed, not judged (bench/ measures speed).
 */
describe('the job console with a 10,000-job batch', () => {
  let redis: TestRedis;
  let ops: OpsApp;
  let profile: string;
  let context: BrowserContext;

  beforeAll(async () => {
    const executablePath = ensureChromium();
    redis = await TestRedis.start();
    ops = await startOpsApp(redis.url);
    profile = mkdtempSync(join(tmpdir(), 'rjs-console-large-'));
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    await ops?.close();
    await redis?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('pages the table: 100 rows drawn, the counts of all 10,000, sorting and paging over all of them', async () => {
    const jobScheduleDescriptions = Array.from({ length: JOBS }, (_, i) => ({ jobId: `item-${String(i).padStart(5, '0')}` }));
    const created = await http<BatchStatusView>(ops.url, 'POST', '/api/v1/batches', { batchId: 'large', jobScheduleDescriptions });
    expect(created.status).toBe(200);
    const batch = created.body.name;

    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`${ops.url}/console/#/batches/${batch}`);
    const counts = page.getByRole('group', { name: 'Show jobs by status' });
    await counts.getByRole('button', { name: `All ${JOBS}`, exact: true }).waitFor({ timeout: 60_000 });
    await counts.getByRole('button', { name: `Waiting ${JOBS}`, exact: true }).waitFor();
    console.log(`console: a ${JOBS}-job batch's page drawn ${Date.now() - started} ms after navigation`);

    expect(await page.locator('tbody tr').count()).toBe(100);
    await page.getByText(`Rows 1–100 of ${JOBS}`).waitFor();

    await page.getByRole('button', { name: 'jobId', exact: true }).click();
    await page.getByRole('button', { name: 'jobId', exact: true }).click();
    await eventually(async () => (await page.locator('tbody tr td:nth-child(2)').first().innerText()) === 'item-09999', 'the last jobId first, sorted descending');

    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText(`Rows 101–200 of ${JOBS}`).waitFor();
    expect(await page.locator('tbody tr td:nth-child(2)').first().innerText()).toBe('item-09899');
    expect(await page.locator('tbody tr').count()).toBe(100);
    // Leaves the page, so no read of the batch is under way while the service closes.
    await page.goto('about:blank');
  });
});
