import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { BatchStatusView, JobStatusView } from '@rjs/core';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium';
import { eventually } from '../support/eventually';
import { TestRedis } from '../support/redis-server';
import { writeJobProgramConfig } from '../worker/worker-app';
import { http, jobReaches, type SchedulerApp, startScheduler } from '../e2e/scheduler-app';
import { basicAuth } from '../ops/ops-app';

const OUTPUT = join(__dirname, '../../test-output');
const USER = 'operator';
const PASSWORD = 'console-password';
const SECRET_PAYLOAD = 'payload-only-for-operators';
const SECRET_VALUE = 'variable-value-only-for-operators';

/**
 * The job console (/console) in Debian's chromium driven by playwright-core, against the whole
 * scheduler (api, worker, watcher; local runtime running test/fixtures/job-program.js) with Bull
 * Board's credentials, and a second process with the api role alone and no credentials (the
 * read-only console) on the same Redis and work directory.
 */
describe('the job console in a real browser', () => {
  let executablePath: string;
  let redis: TestRedis;
  let scratch: string;
  let scheduler: SchedulerApp;
  let readOnly: SchedulerApp;
  const contexts: BrowserContext[] = [];
  /** Uncaught errors of the console's scripts: none may happen on any path. */
  const pageErrors: string[] = [];
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  async function browse(options: { signedIn: boolean; width?: number }): Promise<Page> {
    const context = await chromium.launchPersistentContext(mkdtempSync(join(scratch, 'profile-')), {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      httpCredentials: options.signedIn ? { username: USER, password: PASSWORD } : undefined,
      viewport: { width: options.width ?? 1280, height: 900 },
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  const post = async <T>(base: string, path: string, body: object) => {
    const answer = await http<T>(base, 'POST', path, body);
    if (answer.status !== 200) throw new Error(`POST ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const screenshot = (page: Page, name: string) => page.screenshot({ path: join(OUTPUT, name), fullPage: true });

  beforeAll(async () => {
    executablePath = ensureChromium();
    redis = await TestRedis.start();
    scratch = mkdtempSync(join(tmpdir(), 'rjs-console-'));
    mkdirSync(OUTPUT, { recursive: true });
    const env = { RADIX_CONFIG: writeJobProgramConfig(scratch), REDIS_URL: redis.url, LOCAL_WORK_DIR: join(scratch, 'work'), LOCAL_MAX_RUNNING: '8' };
    scheduler = await startScheduler({ ...env, BULL_BOARD_USER: USER, BULL_BOARD_PASSWORD: PASSWORD });
    readOnly = await startScheduler({ ...env, ROLES: 'api' });
  }, 600_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    // Ends what still runs (the batch's sleeper), so the worker closes at once.
    await http(scheduler?.url, 'POST', '/api/v1/batches/stop').catch(() => undefined);
    await http(scheduler?.url, 'POST', '/api/v1/jobs/stop').catch(() => undefined);
    await readOnly?.close();
    await scheduler?.close();
    await redis?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('shows a batch with succeeding, failing and running jobs with the right counts, on the list and on its page', async () => {
    const batch = await post<BatchStatusView>(scheduler.url, '/api/v1/batches', {
      batchId: 'nightly-report',
      jobScheduleDescriptions: [
        { jobId: 'ok-1', variables: { LINES: '2' } },
        { jobId: 'ok-2', variables: { LINES: '1' } },
        { jobId: 'broken', variables: { EXIT_CODE: '3', PRINT: 'failing on purpose' } },
        { jobId: 'sleeper', variables: { SLEEP_SECONDS: '600' } },
      ],
    });
    const names = batch.jobStatuses!.map((job) => job.name);
    await Promise.all([jobReaches(scheduler.url, names[0], 'Succeeded'), jobReaches(scheduler.url, names[1], 'Succeeded')]);
    await jobReaches(scheduler.url, names[2], 'Failed');
    await jobReaches(scheduler.url, names[3], 'Running');

    const page = await browse({ signedIn: true });
    expect((await page.goto(`${scheduler.url}/console/`))?.status()).toBe(200);
    const row = page.getByRole('row').filter({ hasText: batch.name });
    await row.getByRole('img', { name: '1 Running, 2 Succeeded, 1 Failed of 4 jobs' }).waitFor();
    await row.getByText('nightly-report').waitFor();
    await page.getByRole('img', { name: /^Jobs finished in the last hour: 2 Succeeded, 1 Failed, 0 Stopped$/ }).waitFor();
    await screenshot(page, 'console-batches.png');

    await row.getByRole('link', { name: batch.name }).click();
    await page.getByRole('heading', { level: 1, name: `Batch ${batch.name}` }).waitFor();
    const counts = page.getByRole('group', { name: 'Show jobs by status' });
    for (const [label, count] of [['All', 4], ['Succeeded', 2], ['Failed', 1], ['Running', 1], ['Waiting', 0], ['Stopped', 0]] as const) {
      await counts.getByRole('button', { name: `${label} ${count}`, exact: true }).waitFor();
    }
    expect(await page.locator('tbody tr').count()).toBe(4);
    const failedRow = page.getByRole('row').filter({ hasText: names[2] });
    expect(await failedRow.locator('td').allInnerTexts()).toEqual([names[2], 'broken', 'Failed', '1', '3', expect.stringMatching(/UTC$/), expect.stringMatching(/s$/), expect.any(String)]);
    await screenshot(page, 'console-batch.png');

    // Filtered to the failed jobs by the keyboard: the count buttons are in the tab order.
    await counts.getByRole('button', { name: 'Failed 1', exact: true }).focus();
    await page.keyboard.press('Enter');
    await eventually(async () => (await page.locator('tbody tr').count()) === 1, 'the table to show the failed job alone');
    expect(await page.locator('tbody tr').first().innerText()).toContain(names[2]);

    // Sorted by status, descending: the job furthest along (Failed) first.
    await counts.getByRole('button', { name: 'All 4', exact: true }).click();
    await page.getByRole('button', { name: 'Status', exact: true }).click();
    await page.getByRole('button', { name: 'Status', exact: true }).click();
    expect(await page.getByRole('columnheader', { name: 'Status' }).getAttribute('aria-sort')).toBe('descending');
    await eventually(async () => (await page.locator('tbody tr td:nth-child(3)').allInnerTexts()).join() === 'Failed,Succeeded,Succeeded,Running', 'the rows sorted by status');
  });

  it('works from the keyboard: Tab to a batch, Enter opens it with the focus on its heading, Escape cancels a stop and gives the focus back', async () => {
    const batch = await post<BatchStatusView>(scheduler.url, '/api/v1/batches', { batchId: 'keyboard', jobScheduleDescriptions: [{ variables: { SLEEP_SECONDS: '600' } }] });
    await jobReaches(scheduler.url, batch.jobStatuses![0].name, 'Running');
    const page = await browse({ signedIn: true });
    await page.goto(`${scheduler.url}/console/`);
    await page.getByRole('link', { name: batch.name }).waitFor();
    const focused = () => page.evaluate('(document.activeElement.getAttribute("aria-label") || document.activeElement.textContent).trim()');

    // A page opened starts with the focus on its heading, where a screen reader starts reading.
    await eventually(async () => (await focused()) === 'Batches', 'the focus on the list heading');
    for (let presses = 0; (await focused()) !== batch.name; presses++) {
      if (presses === 40) throw new Error(`the batch link is not reachable with Tab (at ${await focused()})`);
      await page.keyboard.press('Tab');
    }
    // A live update redraws the list under the reader: the focus stays on the same batch's link.
    const newcomer = await post<BatchStatusView>(scheduler.url, '/api/v1/batches', { batchId: 'newcomer', jobScheduleDescriptions: [{}] });
    await page.getByRole('link', { name: newcomer.name }).waitFor();
    expect(await focused()).toBe(batch.name);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: `Batch ${batch.name}` }).waitFor();
    await eventually(async () => (await focused()) === `Batch ${batch.name}`, 'the focus on the batch heading');

    for (let presses = 0; (await focused()) !== 'Stop'; presses++) {
      if (presses === 20) throw new Error(`the Stop button is not reachable with Tab (at ${await focused()})`);
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Stop batch?' }).waitFor();
    expect(await focused()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await focused()).toBe('Stop');
    expect((await http<BatchStatusView>(scheduler.url, 'GET', `/api/v1/batches/${batch.name}`)).body.status).toBe('Running');
  });

  it('shows a job\'s log as it grows while the job runs, without reloading', async () => {
    const job = await post<JobStatusView>(scheduler.url, '/api/v1/jobs', { jobId: 'printer', variables: { LINES: '40', LINE_INTERVAL_MS: '250' } });
    const page = await browse({ signedIn: true });
    await page.goto(`${scheduler.url}/console/#/jobs/${job.name}`);
    await page.evaluate("window.marker = 'same page'");
    const log = page.locator('pre.log');

    await eventually(async () => (await log.innerText()).includes('attempt 1 line 2'), 'the first lines in the log');
    const early = await log.innerText();
    expect(early).not.toContain('attempt 1 line 40');
    expect((await http<JobStatusView>(scheduler.url, 'GET', `/api/v1/jobs/${job.name}`)).body.status).toBe('Running');

    await eventually(async () => (await log.innerText()).includes('attempt 1 line 40'), 'the last line in the log', 30_000);
    expect((await log.innerText()).startsWith(early.trimEnd())).toBe(true);
    await page.locator('.status.s-Succeeded').first().waitFor();
    expect(await page.evaluate('window.marker')).toBe('same page');
    await screenshot(page, 'console-job.png');
  });

  it('stops a running job from the console after a confirmation, and shows the API\'s message when it refuses', async () => {
    const job = await post<JobStatusView>(scheduler.url, '/api/v1/jobs', { jobId: 'to-stop', variables: { SLEEP_SECONDS: '600', PRINT: 'sleeping' } });
    await jobReaches(scheduler.url, job.name, 'Running');
    const page = await browse({ signedIn: true });
    await page.goto(`${scheduler.url}/console/#/jobs/${job.name}`);
    await page.locator('dd .status.s-Running').waitFor();

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Stop job?' });
    await dialog.waitFor();
    // Cancel is where the focus lands: Enter right away does nothing harmful.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Stop', exact: true }).click();

    await page.locator('dd .status.s-Stopped').waitFor({ timeout: 30_000 });
    expect((await http<JobStatusView>(scheduler.url, 'GET', `/api/v1/jobs/${job.name}`)).body.status).toBe('Stopped');

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('dialog', { name: 'Stop job?' }).getByRole('button', { name: 'Stop', exact: true }).click();
    const refusal = await page.getByRole('alert').filter({ hasText: 'Stop refused' }).innerText();
    const api = await http<{ message: string }>(scheduler.url, 'POST', `/api/v1/jobs/${job.name}/stop`);
    expect(api.status).toBe(400);
    expect(refusal).toBe(`Stop refused: ${api.body.message}`);
  });

  it('keeps the action buttons where they are while the facts above the jobs grow (a moving button takes clicks meant elsewhere)', async () => {
    const batch = await post<BatchStatusView>(scheduler.url, '/api/v1/batches', { batchId: 'steady', jobScheduleDescriptions: [{ variables: { SLEEP_SECONDS: '600' } }] });
    await jobReaches(scheduler.url, batch.jobStatuses![0].name, 'Running');
    const page = await browse({ signedIn: true });
    await page.goto(`${scheduler.url}/console/#/batches/${batch.name}`);
    await page.locator('dd .status.s-Running').waitFor();
    const deleteButton = page.getByRole('button', { name: 'Delete', exact: true });
    const before = await deleteButton.boundingBox();

    // Stopping adds the Ended fact to the batch's header.
    expect((await http(scheduler.url, 'POST', `/api/v1/batches/${batch.name}/stop`)).status).toBe(200);
    await page.locator('dd .status.s-Stopped').waitFor();
    await page.getByText('Ended', { exact: true }).waitFor();
    expect(await deleteButton.boundingBox()).toEqual(before);
  });

  it('restarts a job, and copies and deletes a batch, each after a confirmation', async () => {
    const job = await post<JobStatusView>(scheduler.url, '/api/v1/jobs', { jobId: 'again', variables: { PRINT: 'hello' } });
    await jobReaches(scheduler.url, job.name, 'Succeeded');
    const page = await browse({ signedIn: true });
    await page.goto(`${scheduler.url}/console/#/jobs/${job.name}`);
    await page.getByRole('button', { name: 'Restart', exact: true }).click();
    await page.getByRole('dialog', { name: 'Restart job?' }).getByRole('button', { name: 'Restart', exact: true }).click();
    // The second run's attempt is listed after the first, and the log shows it.
    await page.getByRole('heading', { name: 'Attempts' }).waitFor();
    // In the list: the log's notice also reads "Attempt 2" for a moment while the log loads.
    await page.getByRole('listitem').getByText('Attempt 2', { exact: true }).waitFor({ timeout: 30_000 });
    await eventually(async () => (await page.locator('#log-attempt').inputValue()) === '2', 'the log of attempt 2 chosen');
    expect((await jobReaches(scheduler.url, job.name, 'Succeeded')).podStatuses).toHaveLength(2);

    const batch = await post<BatchStatusView>(scheduler.url, '/api/v1/batches', { batchId: 'to-copy', jobScheduleDescriptions: [{}, {}] });
    await page.goto(`${scheduler.url}/console/#/batches/${batch.name}`);
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByRole('dialog', { name: 'Copy batch?' }).getByRole('button', { name: 'Copy', exact: true }).click();
    const copyHeading = page.getByRole('heading', { level: 1, name: /^Batch / }).filter({ hasNotText: batch.name });
    await copyHeading.waitFor();
    const copy = (await copyHeading.innerText()).replace(/^Batch /, '');
    expect((await http<BatchStatusView>(scheduler.url, 'GET', `/api/v1/batches/${copy}`)).body).toMatchObject({ batchId: 'to-copy' });

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete batch?' }).getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Batches' }).waitFor();
    expect((await http(scheduler.url, 'GET', `/api/v1/batches/${copy}`)).status).toBe(404);
    expect((await http(scheduler.url, 'GET', `/api/v1/batches/${batch.name}`)).status).toBe(200);
  });

  it('shows payloads and variable values to an operator who signed in, and never sends them to a read-only console', async () => {
    const job = await post<JobStatusView>(scheduler.url, '/api/v1/jobs', {
      jobId: 'secretive',
      payload: SECRET_PAYLOAD,
      backoffLimit: 2,
      variables: { API_TOKEN: SECRET_VALUE },
    });
    await jobReaches(scheduler.url, job.name);

    const operator = await browse({ signedIn: true });
    await operator.goto(`${scheduler.url}/console/#/jobs/${job.name}`);
    await operator.getByText(SECRET_PAYLOAD).waitFor();
    await operator.getByText(SECRET_VALUE).waitFor();
    await operator.getByRole('button', { name: 'Restart', exact: true }).waitFor();

    const reader = await browse({ signedIn: false });
    await reader.goto(`${readOnly.url}/console/#/jobs/${job.name}`);
    await reader.getByText('Read-only', { exact: true }).waitFor();
    await reader.getByText('hidden (read-only console)').waitFor();
    await reader.getByRole('heading', { name: 'Options' }).waitFor();
    expect(await reader.getByText('Backoff limit').count()).toBe(1);
    const text = await reader.locator('body').innerText();
    expect(text).not.toContain(SECRET_PAYLOAD);
    expect(text).not.toContain(SECRET_VALUE);
    expect(text).toContain('API_TOKEN');
    for (const verb of ['Stop', 'Restart', 'Copy', 'Delete']) expect(await reader.getByRole('button', { name: verb, exact: true }).count()).toBe(0);
    await screenshot(reader, 'console-read-only.png');

    const bare = await fetch(`${readOnly.url}/console`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([302, '/console/']);

    // The server itself leaves them out, not only the page.
    const answer = await (await fetch(`${readOnly.url}/console/api/jobs/${job.name}`)).text();
    expect(answer).toContain('API_TOKEN');
    expect(answer).not.toContain(SECRET_PAYLOAD);
    expect(answer).not.toContain(SECRET_VALUE);
    const signedIn = (await (await fetch(`${scheduler.url}/console/api/jobs/${job.name}`, { headers: { authorization: basicAuth(USER, PASSWORD) } })).json()) as { options: unknown };
    expect(signedIn.options).toMatchObject({ payload: SECRET_PAYLOAD, variables: { API_TOKEN: SECRET_VALUE }, backoffLimit: 2 });
  });

  it('asks for Bull Board\'s credentials when they are set, for the page, its files and its data alike', async () => {
    for (const path of ['/console', '/console/', '/console/app.js', `/console/api/batches`, '/console/api/activity']) {
      expect((await fetch(`${scheduler.url}${path}`, { redirect: 'manual' })).status).toBe(401);
      expect((await fetch(`${scheduler.url}${path}`, { redirect: 'manual', headers: { authorization: basicAuth(USER, 'guessed') } })).status).toBe(401);
    }
    const page = await fetch(`${scheduler.url}/console/`, { headers: { authorization: basicAuth(USER, PASSWORD) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
    // Nothing from elsewhere: the browser refuses it (the other tests run the console under this policy).
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
  });

  it('stays readable in a narrow window: nothing wider than the screen but the tables, which scroll', async () => {
    const page = await browse({ signedIn: true, width: 390 });
    await page.goto(`${scheduler.url}/console/`);
    await page.getByRole('table').waitFor();
    await page.locator('tbody tr').first().waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'console-narrow.png');
  });
});
