import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermanentLaunchError, RuntimeUnavailableError } from '@rjs/core';
import { componentSelector, LabelKey, payloadSecretName } from '@rjs/runtime';
import { FakeKubernetesServer } from '../support/fake-kubernetes';
import { eventually } from '../support/eventually';
import { type Cluster, COMPONENT, NAMESPACE, newRuntime, nodeJob, RecordingSink, reported, startCluster } from './kubernetes-test-support';

describe('KubernetesJobRuntime against a Kubernetes API server (fake)', () => {
  let cluster: Cluster;

  afterEach(async () => {
    await cluster?.close();
  });

  describe('job pod security from the configuration', () => {
    it('creates the Job with the relaxations the operator configured, and only those', async () => {
      cluster = await startCluster({ podSecurity: { allowPrivilegeEscalation: true, capabilitiesAdd: ['NET_BIND_SERVICE'], seccompProfile: { type: 'Unconfined' } } });
      const job = nodeJob('');
      await cluster.runtime.launch(job, undefined);

      const pod = cluster.server.get('jobs', NAMESPACE, job.name)?.spec?.template?.spec as Record<string, any>;
      expect(pod.securityContext).toEqual({ seccompProfile: { type: 'Unconfined' } });
      expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } });
    });
  });

  describe('launch', () => {
    beforeEach(async () => {
      cluster = await startCluster();
    });

    it('creates one labelled Job in the kubeconfig namespace and reports it running, then succeeded', async () => {
      const job = nodeJob('setTimeout(() => process.exit(0), 300)');
      await cluster.runtime.launch(job, undefined);

      const created = cluster.server.get('jobs', NAMESPACE, job.name);
      expect(created?.metadata.labels).toMatchObject({
        [LabelKey.managedBy]: 'radix-job-scheduler',
        [LabelKey.component]: COMPONENT,
        [LabelKey.batchName]: job.batchName,
        [LabelKey.jobName]: job.name,
      });
      await reported(cluster.sink, job.name, 'running');
      const succeeded = await reported(cluster.sink, job.name, 'succeeded');
      expect(succeeded.podStatuses).toEqual([
        expect.objectContaining({ replicaStatus: { status: 'Succeeded' }, exitCode: 0, reason: 'Completed', image: job.image }),
      ]);
      expect(succeeded.podStatuses?.[0].containerStarted).toBeDefined();
      expect(succeeded.podStatuses?.[0].endTime).toBeDefined();
    });

    it('creates the Job with its pod hardened (no privilege escalation, no capabilities, RuntimeDefault seccomp, no token)', async () => {
      const job = nodeJob('');
      await cluster.runtime.launch(job, undefined);

      const pod = cluster.server.get('jobs', NAMESPACE, job.name)?.spec?.template?.spec as Record<string, any>;
      expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(pod.automountServiceAccountToken).toBe(false);
      await reported(cluster.sink, job.name, 'succeeded');
    });

    it('mounts the payload read-only from a Secret owned by the Job, and the program reads it through JOB_PAYLOAD_FILE', async () => {
      const script = `const fs = require('fs'); process.exit(fs.readFileSync(process.env.JOB_PAYLOAD_FILE, 'utf8') === '{"x":1}' ? 0 : 3)`;
      const job = nodeJob(script, { hasPayload: true });
      await cluster.runtime.launch(job, '{"x":1}');

      const secret = cluster.server.get('secrets', NAMESPACE, payloadSecretName(job.name));
      const owner = cluster.server.get('jobs', NAMESPACE, job.name);
      expect(secret?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: job.name, uid: owner?.metadata.uid })]);
      await reported(cluster.sink, job.name, 'succeeded');
    });

    it('counts a 409 for a Job it created itself as success (a retried launch), and does not create a second one', async () => {
      const job = nodeJob('setTimeout(() => {}, 200)', { hasPayload: true });
      await cluster.runtime.launch(job, 'p');
      await cluster.runtime.launch(job, 'p');

      const creates = cluster.server.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs');
      expect(creates.map((r) => r.status)).toEqual([201, 409]);
      expect(cluster.server.list('jobs', NAMESPACE)).toHaveLength(1);
    });

    it('refuses a Job name that another controller uses, as a permanent error', async () => {
      const job = nodeJob('');
      cluster.server.store.create('Job', NAMESPACE, {
        kind: 'Job',
        metadata: { name: job.name, labels: { app: 'someone-else' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'x', command: ['node', '-e', 'setTimeout(()=>{},5000)'] }] } } },
      });

      await expect(cluster.runtime.launch(job, undefined)).rejects.toThrow(PermanentLaunchError);
    });

    it('retries 500s and 429s and then succeeds', async () => {
      cluster.server.failNext(2, 500, { verb: 'create', resource: 'jobs' });
      cluster.server.failNext(1, 429, { verb: 'create', resource: 'jobs' }, 0);
      const job = nodeJob('');
      await cluster.runtime.launch(job, undefined);

      const creates = cluster.server.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs').map((r) => r.status);
      expect(creates).toEqual([500, 500, 429, 201]);
      await reported(cluster.sink, job.name, 'succeeded');
    });

    it('gives up with RuntimeUnavailableError when the API keeps failing', async () => {
      cluster.server.failNext(100, 503, { verb: 'create' });
      await expect(cluster.runtime.launch(nodeJob(''), undefined)).rejects.toThrow(RuntimeUnavailableError);
      // attempts: 4 in the test policy
      expect(cluster.server.requests.filter((r) => r.verb === 'create')).toHaveLength(4);
    });

    it('reports an invalid Job (422) as a permanent error', async () => {
      const job = nodeJob('', { variables: { 'not a valid name': 'x' } });
      await expect(cluster.runtime.launch(job, undefined)).rejects.toThrow(PermanentLaunchError);
      expect(cluster.server.requests.filter((r) => r.verb === 'create').map((r) => r.status)).toEqual([422]);
    });

    it('reports a job without an image as a permanent error without calling the API', async () => {
      await expect(cluster.runtime.launch(nodeJob('', { image: undefined }), undefined)).rejects.toThrow(PermanentLaunchError);
      expect(cluster.server.requests.filter((r) => r.verb === 'create')).toHaveLength(0);
    });

    it('with a connection refused, retries and then reports RuntimeUnavailableError', async () => {
      await cluster.server.refuseConnections();
      await expect(cluster.runtime.launch(nodeJob(''), undefined)).rejects.toThrow(RuntimeUnavailableError);
      await cluster.server.acceptConnections();
    });

    it('times out a request that hangs and treats it as transient', async () => {
      await cluster.close();
      cluster = await startCluster({ requestTimeoutMs: 200, retry: { attempts: 2, initialMs: 10, maxMs: 20 } });
      cluster.server.latencyMs = 1000;
      await expect(cluster.runtime.launch(nodeJob(''), undefined)).rejects.toThrow(RuntimeUnavailableError);
    });
  });

  describe('failure', () => {
    beforeEach(async () => {
      cluster = await startCluster();
    });

    it('reports failed with the backoff limit in words after backoffLimit + 1 attempts', async () => {
      const job = nodeJob('process.exit(1)', { backoffLimit: 1 });
      await cluster.runtime.launch(job, undefined);

      const failed = await reported(cluster.sink, job.name, 'failed');
      expect(failed).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
      expect(failed.podStatuses).toHaveLength(2);
      expect(failed.podStatuses?.every((p) => p.exitCode === 1 && p.replicaStatus.status === 'Failed')).toBe(true);
    });

    it('fails the job at once when the failure policy matches the exit code (FailJob)', async () => {
      const job = nodeJob('process.exit(42)', {
        backoffLimit: 5,
        failurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
      });
      await cluster.runtime.launch(job, undefined);

      const failed = await reported(cluster.sink, job.name, 'failed');
      expect(failed).toMatchObject({ reason: 'PodFailurePolicy', message: 'Job failed: the failure policy matched exit code 42' });
      expect(failed.podStatuses).toHaveLength(1);
    });

    it('ends a job that runs past timeLimitSeconds with DeadlineExceeded', async () => {
      const job = nodeJob('setTimeout(() => {}, 60000)', { timeLimitSeconds: 1 });
      await cluster.runtime.launch(job, undefined);

      const failed = await reported(cluster.sink, job.name, 'failed');
      expect(failed).toMatchObject({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    });
  });

  describe('stop, remove and has', () => {
    beforeEach(async () => {
      cluster = await startCluster();
    });

    it('stop deletes the Job with its pods (propagation Background) and reports stopped', async () => {
      const job = nodeJob('setTimeout(() => {}, 60000)', { hasPayload: true });
      await cluster.runtime.launch(job, 'payload');
      await reported(cluster.sink, job.name, 'running');

      await cluster.runtime.stop(job.name);

      const stopped = await reported(cluster.sink, job.name, 'stopped');
      expect(stopped.podStatuses?.[0].replicaStatus.status).toBe('Stopped');
      const deletion = cluster.server.requests.find((r) => r.verb === 'delete' && r.resource === 'jobs');
      expect(deletion?.status).toBe(200);
      await eventually(
        () => cluster.server.podsOf(NAMESPACE, job.name).length === 0 && !cluster.server.get('secrets', NAMESPACE, payloadSecretName(job.name)),
        'the pods and the payload Secret to be collected',
      );
      expect(await cluster.runtime.has(job.name)).toBe(false);
    });

    it('stop of a job it does not know is a no-op', async () => {
      await expect(cluster.runtime.stop('batch-compute-20240101000000-unknown0-unknown0')).resolves.toBeUndefined();
      expect(cluster.server.requests.filter((r) => r.verb === 'delete')).toHaveLength(0);
    });

    it('stop leaves a job that already finished alone: it stays succeeded', async () => {
      const job = nodeJob('');
      await cluster.runtime.launch(job, undefined);
      await reported(cluster.sink, job.name, 'succeeded');

      await cluster.runtime.stop(job.name);

      expect(cluster.server.get('jobs', NAMESPACE, job.name)).toBeDefined();
      expect(cluster.sink.kinds(job.name)).not.toContain('stopped');
    });

    it('remove deletes the Job, its pods and the payload Secret; has() then answers false', async () => {
      const job = nodeJob('setTimeout(() => {}, 60000)', { hasPayload: true });
      await cluster.runtime.launch(job, 'payload');
      expect(await cluster.runtime.has(job.name)).toBe(true);

      await cluster.runtime.remove(job.name);

      expect(cluster.server.get('jobs', NAMESPACE, job.name)).toBeUndefined();
      expect(cluster.server.get('secrets', NAMESPACE, payloadSecretName(job.name))).toBeUndefined();
      await eventually(() => cluster.server.podsOf(NAMESPACE, job.name).length === 0, 'the pods to be deleted');
      expect(await cluster.runtime.has(job.name)).toBe(false);
      await expect(cluster.runtime.remove(job.name)).resolves.toBeUndefined();
    });
  });

  describe('restart (a later run of the job)', () => {
    it('deletes the running earlier Job in the foreground, its pods first, then creates the new run\'s Job under the same name', async () => {
      cluster = await startCluster();
      const events: string[] = [];
      cluster.server.store.subscribe(({ type, kind, object }) => {
        if (kind !== 'Secret') events.push(`${type} ${kind} run ${object.metadata.labels?.[LabelKey.generation] ?? '?'}${object.metadata.deletionTimestamp ? ' (deleting)' : ''}`);
      });
      const job = nodeJob('setInterval(() => {}, 1000)', { hasPayload: true });
      await cluster.runtime.launch(job, '{"x":1}');
      await reported(cluster.sink, job.name, 'running');
      const earlier = cluster.server.get('jobs', NAMESPACE, job.name)!;

      await cluster.runtime.launch({ ...job, generation: 1 }, '{"x":1}');

      const current = cluster.server.get('jobs', NAMESPACE, job.name)!;
      expect(current.metadata.uid).not.toBe(earlier.metadata.uid);
      expect(current.metadata.labels?.[LabelKey.generation]).toBe('1');
      const secret = cluster.server.get('secrets', NAMESPACE, payloadSecretName(job.name))!;
      expect(secret.metadata.ownerReferences?.[0]?.uid).toBe(current.metadata.uid);
      expect(secret.metadata.labels?.[LabelKey.generation]).toBe('1');
      // The earlier Job went only once its pod had, and the new one came after.
      const order = (event: string) => {
        expect(events).toContain(event);
        return events.indexOf(event);
      };
      expect(order('DELETED Pod run 0 (deleting)')).toBeGreaterThan(order('MODIFIED Job run 0 (deleting)'));
      expect(order('DELETED Job run 0 (deleting)')).toBeGreaterThan(order('DELETED Pod run 0 (deleting)'));
      expect(order('ADDED Job run 1')).toBeGreaterThan(order('DELETED Job run 0 (deleting)'));

      // The watch tells of the earlier run's end (as of its run: the records ignore it), then of the new run.
      const stoppedEarlier = await eventually(
        () => cluster.sink.of(job.name).find((o) => o.kind === 'stopped' && o.generation === 0),
        () => `the earlier run to be reported stopped; reported ${JSON.stringify(cluster.sink.of(job.name).map((o) => [o.kind, o.generation]))}`,
      );
      const running = await eventually(
        () => cluster.sink.of(job.name).find((o) => o.kind === 'running' && o.generation === 1),
        () => 'the new run to be reported running',
      );
      expect(cluster.sink.of(job.name).indexOf(running)).toBeGreaterThan(cluster.sink.of(job.name).indexOf(stoppedEarlier));
      const earlierPods = new Set(stoppedEarlier.podStatuses?.map((p) => p.name));
      expect(earlierPods.size).toBe(1);
      expect(running.podStatuses?.some((p) => earlierPods.has(p.name))).toBe(false);
      expect(await cluster.runtime.has(job.name)).toBe(true);
    });

    it('takes a launch of an earlier run, once a later run holds the name, for a no-op', async () => {
      cluster = await startCluster();
      const job = nodeJob('setInterval(() => {}, 1000)');
      await cluster.runtime.launch({ ...job, generation: 2 }, undefined);
      const created = cluster.server.get('jobs', NAMESPACE, job.name)!;

      await cluster.runtime.launch({ ...job, generation: 1 }, undefined);

      expect(cluster.server.get('jobs', NAMESPACE, job.name)?.metadata.uid).toBe(created.metadata.uid);
      expect(cluster.server.requests.filter((r) => r.verb === 'delete')).toEqual([]);
    });
  });

  describe('placement', () => {
    const affinityOf = (jobName: string) => cluster.server.get('jobs', NAMESPACE, jobName)?.spec.template.spec.affinity;
    const required = (...matchExpressions: object[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } });
    const LINUX = { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] };
    const arch = (architecture: string) => ({ key: 'kubernetes.io/arch', operator: 'In', values: [architecture] });

    it('creates the Job of a job that names no architecture with node affinity to linux/amd64 nodes, and it runs', async () => {
      cluster = await startCluster();
      const job = nodeJob('');
      await cluster.runtime.launch(job, undefined);
      expect(affinityOf(job.name)).toEqual(required(LINUX, arch('amd64')));
      await reported(cluster.sink, job.name, 'succeeded');
    });

    it("takes the component's architecture as the default, and a job's own over it; a node type joins the same term", async () => {
      cluster = await startCluster({ defaultArchitecture: 'arm64' });
      const plain = nodeJob('');
      const own = nodeJob('', { runtime: { architecture: 'amd64' } });
      const typed = nodeJob('', { runtime: { nodeType: 'memory-optimized-2-v1' } });
      for (const job of [plain, own, typed]) await cluster.runtime.launch(job, undefined);
      expect(affinityOf(plain.name)).toEqual(required(LINUX, arch('arm64')));
      expect(affinityOf(own.name)).toEqual(required(LINUX, arch('amd64')));
      expect(affinityOf(typed.name)).toEqual(required({ key: 'radix-nodetype', operator: 'In', values: ['memory-optimized-2-v1'] }, LINUX, arch('arm64')));
    });
  });

  describe('configuration', () => {
    it('uses the namespace given in the options over the kubeconfig one', async () => {
      cluster = await startCluster({ namespace: 'other' });
      const job = nodeJob('');
      await cluster.runtime.launch(job, undefined);
      expect(cluster.server.get('jobs', 'other', job.name)).toBeDefined();
      await reported(cluster.sink, job.name, 'succeeded');
    });

    it('loads the kubeconfig named by KUBECONFIG when no KubeConfig is given', async () => {
      const server = await FakeKubernetesServer.start();
      const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
      const previous = process.env.KUBECONFIG;
      writeFileSync(join(dir, 'config'), server.kubeconfigFile('from-file'));
      process.env.KUBECONFIG = join(dir, 'config');
      const sink = new RecordingSink();
      const runtime = newRuntime(server, { kubeConfig: undefined });
      try {
        await runtime.start(sink.sink);
        const job = nodeJob('');
        await runtime.launch(job, undefined);
        expect(server.get('jobs', 'from-file', job.name)).toBeDefined();
        await reported(sink, job.name, 'succeeded');
      } finally {
        if (previous === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = previous;
        await runtime.close();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('lists and watches only its own component through the label selector', async () => {
      cluster = await startCluster();
      const other = newRuntime(cluster.server, { component: 'other-component' });
      try {
        const mine = nodeJob('');
        const theirs = nodeJob('', { component: 'other-component' });
        await cluster.runtime.launch(mine, undefined);
        await other.launch(theirs, undefined);
        await reported(cluster.sink, mine.name, 'succeeded');

        expect(cluster.sink.calls.map((c) => c.jobName)).not.toContain(theirs.name);
        const lists = cluster.server.requests.filter((r) => r.verb === 'list' || r.verb === 'watch');
        expect(lists.length).toBeGreaterThan(0);
        expect(cluster.server.list('jobs', NAMESPACE, componentSelector(COMPONENT)).map((j) => j.metadata.name)).toEqual([mine.name]);
      } finally {
        await other.close();
      }
    });
  });
});
