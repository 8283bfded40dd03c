import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { JobAcceptor } from '@rjs/core';
import type { BullMqWorkQueue } from '@rjs/queue';
import { WORK_QUEUE } from '@rjs/platform';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium';
import { TestRedis } from '../support/redis-server';
import { CONTROL_QUEUE, DISPATCH_QUEUE, expandHandOffsOf, LAUNCH_QUEUE, type OpsApp, startOpsApp } from './ops-app';

const SCREENSHOT = join(__dirname, '../../test-output/bull-board.png');
const USER = 'operator';
const PASSWORD = 'board-password';

describe('Bull Board in a real browser', () => {
  let executablePath: string;
  let redis: TestRedis;
  let ops: OpsApp;
  let profileDir: string;
  let jobNames: string[];
  const contexts: BrowserContext[] = [];

  /** A fresh headless chromium profile; playwright drives Debian's chromium, never a download. */
  async function browse(httpCredentials?: { username: string; password: string }): Promise<BrowserContext> {
    const context = await chromium.launchPersistentContext(mkdtempSync(join(profileDir, 'profile-')), {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      httpCredentials,
      viewport: { width: 1400, height: 900 },
    });
    contexts.push(context);
    return context;
  }

  beforeAll(async () => {
    // Installs chromium with apt-get when it is missing, which can take minutes.
    executablePath = ensureChromium();
    profileDir = mkdtempSync(join(tmpdir(), 'rjs-chromium-'));
    redis = await TestRedis.start();
    ops = await startOpsApp(redis.url, { BULL_BOARD_USER: USER, BULL_BOARD_PASSWORD: PASSWORD });
    const batch = await ops.app.get(JobAcceptor).acceptBatch({ jobScheduleDescriptions: [{}, {}, {}] });
    await batch.handedOff;
    await expandHandOffsOf(ops);
    jobNames = batch.jobs.map((job) => job.name);
    await ops.app.get<BullMqWorkQueue>(WORK_QUEUE).enqueueStop([{ name: jobNames[0], generation: 0 }]);
  }, 600_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await ops?.close();
    await redis?.stop();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('shows the queues of the service and their jobs to an operator who logs in', async () => {
    const page = await (await browse({ username: USER, password: PASSWORD })).newPage();
    const response = await page.goto(`${ops.url}/admin/queues`);
    expect(response?.status()).toBe(200);
    await page.getByText(DISPATCH_QUEUE, { exact: true }).first().waitFor();
    await page.getByText(LAUNCH_QUEUE, { exact: true }).first().waitFor();
    await page.getByText(CONTROL_QUEUE, { exact: true }).first().waitFor();

    await page.goto(`${ops.url}/admin/queues/queue/${CONTROL_QUEUE}?status=waiting`);
    await page.getByText(`stop-${jobNames[0]}`).first().waitFor();

    // Launches carry a BullMQ priority (job priorities): they wait as prioritized.
    await page.goto(`${ops.url}/admin/queues/queue/${LAUNCH_QUEUE}?status=prioritized`);
    for (const name of jobNames) await page.getByText(name).first().waitFor();

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  it('refuses a browser with wrong credentials', async () => {
    const page = await (await browse({ username: USER, password: 'guessed' })).newPage();
    const response = await page.goto(`${ops.url}/admin/queues`);
    expect(response?.status()).toBe(401);
    expect(await page.content()).not.toContain(LAUNCH_QUEUE);
  });
});
