import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type Redis from 'ioredis';
import { loadConfig } from '@rjs/config';
import { KubernetesJobRuntime, type KubernetesRuntimeOptions } from '@rjs/runtime';
import { createLogger } from '@rjs/platform';
import { LogCapture, type ServedApp, serveScheduler } from '../support/app-fixture';
import { type TestRedis, withRedis } from '../support/redis-server';
import { ensureBuilt, ServiceProcess } from '../support/service-process';
import { COMPONENT, leakedSecrets, ScratchDir, writeRunRecordingConfig } from './reliability-support';

/** The namespace of the in-process scheduler's Kubernetes Jobs. */
export const NAMESPACE = 'jobs';

export interface ReliabilityFixtureOptions {
  /** Names the scratch directory (rjs-<name>-…) and the secret. */
  name: string;
  /** Redis with AOF, for scenarios that kill it or need its data through a crash. */
  appendOnly?: boolean;
  /** LOCAL_MAX_RUNNING of the services. Default 32. */
  maxRunning?: number;
  /** LOG_LEVEL of the services and the in-process scheduler. Default trace: the most talkative level proves that secrets stay out of any line. */
  logLevel?: 'trace' | 'debug' | 'info';
}

/** More for one service: environment on top of the fixture's (JOB_RUNTIME=kubernetes, KUBECONFIG...), an open-files limit. */
export interface ServiceExtras {
  env?: Record<string, string>;
  maxOpenFiles?: number;
}

export interface ReliabilityFixture {
  readonly scratch: ScratchDir;
  /** The scratch directory: radixconfig.yaml, the runs file, the work directory, the service logs. */
  readonly dir: string;
  /** Where record-run.sh counts the runs (the component's RUNS_FILE). */
  readonly runsFile: string;
  /** Put in payloads (`payload-<secret>…`) and variables (`variable-<secret>…`): none may reach a log. */
  readonly secret: string;
  readonly redis: TestRedis;
  /** A client for assertions. */
  readonly client: Redis;
  /**
   * The built service (node dist/…/main.js) with the local runtime and the given roles, its log in
   * <name>.log; resolves once /readyz answers 200. Every service is stopped after the tests.
   */
  start(name: string, roles: string, extra?: ServiceExtras): Promise<ServiceProcess>;
  /**
   * The whole scheduler in this process (all roles) with the Kubernetes runtime on `kubeConfig` in
   * NAMESPACE, tuned by `runtime`, its JSON logs captured; it closes first after the tests.
   */
  serveOnKubernetes(kubeConfig: KubeConfig, runtime?: Partial<KubernetesRuntimeOptions>): Promise<ServedApp & { logs: LogCapture }>;
  /** The payloads and variables of `secret` found in `text` (by default the logs of every service started). */
  leaks(text?: string): string[];
  /** Runs `close` after the tests (the last registered first), before the services, Redis and the scratch directory go. */
  beforeTeardown(close: () => Promise<void> | void): void;
}

/**
 * The set-up every reliability scenario shares, as jest hooks of the calling describe block: a
 * private Redis (withRedis), a scratch directory, the run-recording radixconfig.yaml, and services
 * started on demand; all of it ends after the tests (the directory stays when a test failed). It
 * is all made in beforeAll: jest skips the hooks of a block whose tests are all filtered out.
 */
export function reliabilityFixture(options: ReliabilityFixtureOptions): ReliabilityFixture {
  const secret = `${options.name}-${Date.now().toString(36)}`;
  const services: ServiceProcess[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  let scratch: ScratchDir | undefined;
  let redis: TestRedis | undefined;
  let client: Redis | undefined;

  withRedis(
    ({ redis: server, closeAfter }) => {
      const directory = (scratch = new ScratchDir(`rjs-${options.name}-`));
      closeAfter(() => directory.remove());
      writeRunRecordingConfig(directory.path, join(directory.path, 'runs'));
      redis = server;
      const assertions = (client = server.client());
      closeAfter(() => assertions.disconnect());
      closeAfter(() => Promise.all(services.map((s) => s.stop())));
      closeAfter(async () => {
        for (const close of closers.reverse()) await close();
      });
    },
    { appendOnly: options.appendOnly },
  );

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is there once the fixture's beforeAll has run`);
    return value;
  };
  const dir = () => started(scratch, 'the scratch directory').path;

  return {
    secret,
    get scratch() {
      return started(scratch, 'the scratch directory');
    },
    get dir() {
      return dir();
    },
    get runsFile() {
      return join(dir(), 'runs');
    },
    get redis() {
      return started(redis, 'redis');
    },
    get client() {
      return started(client, 'client');
    },
    async start(name, roles, extra = {}) {
      ensureBuilt();
      const service = await ServiceProcess.start({
        logFile: join(dir(), `${name}.log`),
        maxOpenFiles: extra.maxOpenFiles,
        env: {
          REDIS_URL: started(redis, 'redis').url,
          RADIX_CONFIG: join(dir(), 'radixconfig.yaml'),
          JOB_COMPONENT: COMPONENT,
          ROLES: roles,
          JOB_RUNTIME: 'local',
          // Services on one machine share its work directory: the launch markers there make a launch happen once.
          LOCAL_WORK_DIR: join(dir(), 'work'),
          LOCAL_MAX_RUNNING: String(options.maxRunning ?? 32),
          LOG_LEVEL: options.logLevel ?? 'trace',
          ...extra.env,
        },
      });
      services.push(service);
      await service.ready();
      return service;
    },
    async serveOnKubernetes(kubeConfig, runtime = {}) {
      const config = loadConfig({
        RADIX_CONFIG: join(dir(), 'radixconfig.yaml'),
        JOB_COMPONENT: COMPONENT,
        REDIS_URL: started(redis, 'redis').url,
        ROLES: 'api,worker,watcher',
        JOB_RUNTIME: 'kubernetes',
        KUBERNETES_NAMESPACE: NAMESPACE,
        LOG_LEVEL: options.logLevel ?? 'trace',
        LOG_FORMAT: 'json',
      });
      const logs = new LogCapture();
      const logger = createLogger(config, logs);
      const served = await serveScheduler(config, {
        runtime: new KubernetesJobRuntime({ component: COMPONENT, kubeConfig, namespace: NAMESPACE, logger: logger.child({ runtime: 'kubernetes' }), ...runtime }),
        logger,
      });
      closers.push(() => served.app.close());
      return { ...served, logs };
    },
    leaks(text = services.map((s) => s.log()).join('\n')) {
      return leakedSecrets(text, [`payload-${secret}`, `variable-${secret}`]);
    },
    beforeTeardown(close) {
      closers.push(close);
    },
  };
}
