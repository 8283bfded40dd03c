import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium';
import { type ApiApp, call, withApi } from './api-app';

/**
 * The attack ALLOWED_ORIGINS stops, in a real browser: a page of another origin POSTs a job to the
 * API with a "simple" request (text/plain, no preflight), which the browser sends with an Origin
 * header. Refused unless that origin is listed; listed, the same page's request does create the job
 * (so the refusal is the server's, not the browser's).
 */
describe('a web page of another origin posting a job, in a real browser', () => {
  let executablePath: string;
  let profileDir: string;
  let pageServer: Server;
  let pageOrigin: string;
  let context: BrowserContext;
  let closed: ApiApp;
  let open: ApiApp;

  beforeAll(() => {
    // Installs chromium with apt-get when it is missing, which can take minutes.
    executablePath = ensureChromium();
  }, 600_000);

  withApi(async (bed) => {
    profileDir = mkdtempSync(join(tmpdir(), 'rjs-chromium-'));
    // The hostile site: any page on another port is another origin.
    pageServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>a web page</title>'));
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', () => resolve()));
    const address = pageServer.address();
    if (!address || typeof address === 'string') throw new Error('the page server did not listen on a TCP port');
    pageOrigin = `http://127.0.0.1:${address.port}`;
    closed = await bed.start('compute');
    open = await bed.start('compute', { ALLOWED_ORIGINS: pageOrigin });
    context = await chromium.launchPersistentContext(mkdtempSync(join(profileDir, 'profile-')), { executablePath, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await new Promise((resolve) => pageServer?.close(resolve));
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  /** From the page: a no-cors POST as a CSRF would send it; the browser hides the answer, so the page learns nothing. */
  async function postFromPage(api: ApiApp, jobId: string): Promise<void> {
    const page = await context.newPage();
    await page.goto(pageOrigin);
    await page.evaluate(
      async ([url, body]) => {
        await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body });
      },
      [`${api.url}/api/v1/jobs`, JSON.stringify({ jobId, payload: 'from a web page' })] as const,
    );
    await page.close();
  }

  const jobIds = async (api: ApiApp) => ((await call<{ jobId?: string }[]>(api.url, 'GET', '/api/v1/jobs')).body).map((j) => j.jobId);

  it('records nothing when the page\'s origin is not in ALLOWED_ORIGINS', async () => {
    await postFromPage(closed, 'csrf');
    expect(await jobIds(closed)).not.toContain('csrf');
  });

  it('records the job when the page\'s origin is listed (the browser did send it)', async () => {
    await postFromPage(open, 'listed');
    expect(await jobIds(open)).toContain('listed');
  });
});
