import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createLogger, PinoNestLogger } from '@rjs/platform';
import { LogCapture } from '../support/app-fixture';
import { eventually } from '../support/eventually';
import { ensureBuilt } from '../support/service-process';
import { basicAuth, LAUNCH_QUEUE, type OpsApp, withOpsApp } from './ops-app';

const SECRET = 'do-not-log-me';

describe('logging', () => {
  describe('redaction', () => {
    const json = { log: { level: 'trace', format: 'json' as const } };

    it('writes one JSON object per line with level, time, message and service', () => {
      const out = new LogCapture();
      createLogger(json, out).info({ jobName: 'j1' }, 'job accepted');
      expect(out.lines).toEqual([expect.objectContaining({ level: 30, time: expect.any(Number), msg: 'job accepted', service: 'radix-job-scheduler', jobName: 'j1' })]);
    });

    it.each([
      ['a payload field', { payload: SECRET }, ['payload']],
      ['variables', { variables: { TOKEN: SECRET } }, ['variables']],
      ['a nested payload', { job: { name: 'j1', payload: SECRET } }, ['job', 'payload']],
      ['variables two levels down', { detail: { spec: { variables: { TOKEN: SECRET } } } }, ['detail', 'spec', 'variables']],
      ['an authorization header', { req: { headers: { authorization: `Basic ${SECRET}` } } }, ['req', 'headers', 'authorization']],
      ['a password', { bullBoard: { user: 'operator', password: SECRET } }, ['bullBoard', 'password']],
    ])('redacts %s', (_what, fields, path) => {
      const out = new LogCapture();
      createLogger(json, out).info(fields, 'something happened');
      expect(out.raw.join('\n')).not.toContain(SECRET);
      const value = path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], out.lines[0]);
      expect(value).toBe('[redacted]');
    });

    it('redacts what NestJS hands over as an object, and keeps errors structured', () => {
      const out = new LogCapture();
      const nest = new PinoNestLogger(createLogger(json, out));
      nest.log({ job: { payload: SECRET } }, 'SomeContext');
      nest.error(new Error('it broke'), 'stack here', 'OtherContext');
      expect(out.raw.join('\n')).not.toContain(SECRET);
      expect(out.lines[0]).toMatchObject({ level: 30, context: 'SomeContext', detail: { job: { payload: '[redacted]' } } });
      expect(out.lines[1]).toMatchObject({ level: 50, context: 'OtherContext', msg: 'it broke', err: { message: 'it broke' } });
    });
  });

  describe('access log', () => {
    let ops: OpsApp;
    withOpsApp({ LOG_LEVEL: 'info', BULL_BOARD_USER: 'operator', BULL_BOARD_PASSWORD: SECRET }, (bed) => {
      ops = bed.ops;
    });

    const accessLines = () => ops.logs.lines.filter((line) => line.msg === 'request completed');
    /** The access lines after the first `before`, once there are `count` of them. */
    const linesAfter = (before: number, count: number) =>
      eventually(
        () => accessLines().length >= before + count && accessLines().slice(before),
        () => `${count} access lines after the first ${before}; got ${JSON.stringify(accessLines().slice(before))}`,
      );

    it('writes one line per request with method, path, route, status and duration, and never a body or a header', async () => {
      const before = accessLines().length;
      const posted = await fetch(`${ops.url}/no/such/route`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth('operator', SECRET) },
        body: JSON.stringify({ payload: SECRET, variables: { TOKEN: SECRET } }),
      });
      expect(posted.status).toBe(404);
      const board = await fetch(`${ops.url}/admin/queues/api/queues/${LAUNCH_QUEUE}/missing-job`, { headers: { authorization: basicAuth('operator', SECRET) } });
      expect(board.status).toBe(404);

      // A line is written once its response is sent, which may be just after the client has it.
      const lines = await linesAfter(before, 2);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 30,
          req: { method: 'POST', url: '/no/such/route', route: 'unmatched', remoteAddress: '127.0.0.1' },
          res: { statusCode: 404 },
          responseTimeMs: expect.any(Number),
        }),
        expect.objectContaining({
          req: expect.objectContaining({ method: 'GET', route: '/admin/queues/api/queues/:queueName/:jobId' }),
          res: { statusCode: 404 },
        }),
      ]);
      expect(ops.logs.raw.join('\n')).not.toContain(SECRET);
      expect(ops.logs.raw.join('\n')).not.toContain(Buffer.from(`operator:${SECRET}`).toString('base64'));
    });

    it('keeps probes and scrapes out of the info log', async () => {
      const before = accessLines().length;
      for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${ops.url}${path}`)).status).toBe(200);
      // A request that is logged, after the probes: once its line is there, theirs would be too.
      expect((await fetch(`${ops.url}/marker`)).status).toBe(404);
      const lines = await linesAfter(before, 1);
      expect(lines.map((line) => (line.req as { url: string }).url)).toEqual(['/marker']);
    });
  });

  // Production logs go to stdout once per turn of the event loop (TurnBatchedDestination): what a
  // process logged just before it ended must still be written.
  describe('standard output of a real process', () => {
    const logging = join(__dirname, '..', '..', 'dist', 'libs', 'platform', 'src', 'logging.js');
    beforeAll(() => ensureBuilt(), 180_000);

    /** Runs `body` in a fresh node with `logger` made by createLogger as production makes it; its stdout lines. */
    const run = (body: string) => {
      const script = `const logger = require(${JSON.stringify(logging)}).createLogger({ log: { level: 'info', format: 'json' } });\n${body}`;
      const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
      const lines = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string });
      return { status: result.status, messages: lines.map((line) => line.msg), stderr: result.stderr };
    };

    it('writes the lines of a process that runs to its end', () => {
      expect(run("logger.info('one'); setTimeout(() => logger.info('two'), 10);")).toMatchObject({ status: 0, messages: ['one', 'two'] });
    });

    it('writes the lines logged in the turn that calls process.exit', () => {
      expect(run("logger.info('one'); logger.warn('last words'); process.exit(3);")).toMatchObject({ status: 3, messages: ['one', 'last words'] });
    });

    it('writes the lines logged just before an uncaught exception ends the process', () => {
      const outcome = run("logger.error('about to fail'); throw new Error('boom');");
      expect(outcome).toMatchObject({ status: 1, messages: ['about to fail'] });
      expect(outcome.stderr).toContain('boom');
    });
  });
});
