import type { Observation, ObservationKind, ObservationSink, ResolvedJob } from '@rjs/core';
import { KubernetesJobRuntime, type KubernetesRuntimeOptions, type KubernetesRuntimeLogger } from '@rjs/runtime';
import { eventually } from '../support/eventually';
import { FakeKubernetesServer, type FakeKubernetesOptions } from '../support/fake-kubernetes';

export const NAMESPACE = 'jobs';
export const COMPONENT = 'compute';

/** Collects what a runtime reports, in order, per job. */
export class RecordingSink {
  readonly calls: { jobName: string; observation: Observation }[] = [];
  /** Set to make the sink fail (as a Redis outage would) until cleared. */
  failWith: Error | undefined;

  readonly sink: ObservationSink = async (jobName, observation) => {
    if (this.failWith) throw this.failWith;
    this.calls.push({ jobName, observation });
  };

  of(jobName: string): Observation[] {
    return this.calls.filter((c) => c.jobName === jobName).map((c) => c.observation);
  }

  kinds(jobName: string): ObservationKind[] {
    return this.of(jobName).map((o) => o.kind);
  }

  last(jobName: string): Observation | undefined {
    return this.of(jobName).at(-1);
  }
}

/** Waits until the job's last reported observation has this kind. */
export function reported(sink: RecordingSink, jobName: string, kind: ObservationKind, timeoutMs?: number): Promise<Observation> {
  return eventually(
    () => (sink.last(jobName)?.kind === kind ? sink.last(jobName) : undefined),
    () => `${jobName} to report ${kind}; reported ${JSON.stringify(sink.kinds(jobName))}`,
    timeoutMs,
  );
}

export class RecordingLogger implements KubernetesRuntimeLogger {
  readonly lines: { level: string; message: string; fields: object }[] = [];
  info(fields: object, message = ''): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(fields: object, message = ''): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(fields: object, message = ''): void {
    this.lines.push({ level: 'error', message, fields });
  }
}

let counter = 0;

/** A resolved job whose container runs `node -e <script>`. */
export function nodeJob(script: string, overrides: Partial<ResolvedJob> = {}): ResolvedJob {
  counter++;
  const batchName = `batch-${COMPONENT}-20240101000000-t${String(counter).padStart(7, '0')}`;
  return {
    name: `${batchName}-${Math.random().toString(36).slice(2, 10).padEnd(8, '0')}`,
    batchName,
    batchType: 'job',
    component: COMPONENT,
    image: 'registry.example.com/compute:1.0',
    timeLimitSeconds: 60,
    backoffLimit: 0,
    resources: {},
    variables: {},
    command: ['node', '-e', script],
    payloadPath: '/compute/args',
    hasPayload: false,
    ...overrides,
  };
}

export interface Cluster {
  server: FakeKubernetesServer;
  runtime: KubernetesJobRuntime;
  sink: RecordingSink;
  logger: RecordingLogger;
  close(): Promise<void>;
}

/** A fake API server and a runtime on it, with quick retries and backoff so faults heal fast. */
export async function startCluster(
  runtimeOptions: Partial<KubernetesRuntimeOptions> = {},
  serverOptions: FakeKubernetesOptions = {},
  start = true,
): Promise<Cluster> {
  const server = await FakeKubernetesServer.start(serverOptions);
  const logger = new RecordingLogger();
  const runtime = newRuntime(server, { logger, ...runtimeOptions });
  const sink = new RecordingSink();
  if (start) await runtime.start(sink.sink);
  return {
    server,
    runtime,
    sink,
    logger,
    close: async () => {
      await runtime.close();
      await server.stop();
    },
  };
}

export function newRuntime(server: FakeKubernetesServer, options: Partial<KubernetesRuntimeOptions> = {}): KubernetesJobRuntime {
  return new KubernetesJobRuntime({
    component: COMPONENT,
    kubeConfig: server.kubeConfig(NAMESPACE),
    qps: 1000,
    burst: 1000,
    retry: { attempts: 4, initialMs: 20, maxMs: 100 },
    watchBackoff: { initialMs: 20, maxMs: 200 },
    requestTimeoutMs: 5000,
    logger: new RecordingLogger(),
    ...options,
  });
}

/** A fake API server and a runtime on it (not started), for the contract suites. */
export async function fakeCluster(): Promise<{ server: FakeKubernetesServer; runtime: KubernetesJobRuntime; cleanup(): Promise<void> }> {
  const server = await FakeKubernetesServer.start();
  const runtime = newRuntime(server);
  return {
    server,
    runtime,
    async cleanup() {
      await runtime.close();
      await server.stop();
    },
  };
}
