import { ErrorCode, RuntimeUnavailableError } from '@rjs/core';
import { KubernetesJobLogs } from '@rjs/runtime';
import { eventually } from '../support/eventually';
import { type Cluster, COMPONENT, NAMESPACE, nodeJob, reported, startCluster } from './kubernetes-test-support';

/** A job that prints `n` lines, one every `ms`, then exits. */
const printing = (n: number, ms: number) => nodeJob(`let i = 0; const t = setInterval(() => { console.log('line ' + ++i); if (i === ${n}) { clearInterval(t); process.exit(0); } }, ${ms})`);

describe('KubernetesJobLogs against a Kubernetes API server (fake)', () => {
  let cluster: Cluster;
  let logs: KubernetesJobLogs;

  async function started(serverOptions: Parameters<typeof startCluster>[1] = {}) {
    cluster = await startCluster({}, serverOptions);
    logs = new KubernetesJobLogs({ component: COMPONENT, kubeConfig: cluster.server.kubeConfig(NAMESPACE) });
  }

  afterEach(async () => {
    logs?.close();
    await cluster?.close();
  });

  const podOf = (jobName: string) => eventually(() => cluster.server.podsOf(NAMESPACE, jobName)[0]?.metadata.name, () => `a pod of ${jobName}`);

  it('answers NotFound, saying the logs went with the pod, when the pod is gone though its Job remains', async () => {
    await started();
    const job = nodeJob("console.log('hello'); setTimeout(() => {}, 60_000)");
    await cluster.runtime.launch(job, undefined);
    await reported(cluster.sink, job.name, 'running');
    const pod = await podOf(job.name);
    const live = await logs.open({ jobName: job.name, attempt: 1, podName: pod }, { follow: false });
    live.destroy();

    await fetch(`${cluster.server.url}/api/v1/namespaces/${NAMESPACE}/pods/${pod}`, { method: 'DELETE', headers: { authorization: 'Bearer fake-token' } });
    await eventually(() => !cluster.server.get('pods', NAMESPACE, pod), () => `pod ${pod} to be deleted`);

    const failure = logs.open({ jobName: job.name, attempt: 1, podName: pod }, { follow: false });
    await expect(failure).rejects.toMatchObject({
      code: ErrorCode.NotFound,
      message: expect.stringMatching(new RegExp(`^the logs of attempt 1 of job ${job.name} went with its pod ${pod}, which is gone from Kubernetes`)),
    });
  });

  it("answers NotFound with the kubelet's reason for a container that has not started", async () => {
    await started({ images: { 'registry.example.com/missing:1': { pull: 'fail' } } });
    const job = { ...nodeJob('process.exit(0)'), image: 'registry.example.com/missing:1' };
    await cluster.runtime.launch(job, undefined);
    const pod = await podOf(job.name);
    await eventually(() => cluster.server.get('pods', NAMESPACE, pod)?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull', () => 'ErrImagePull');

    await expect(logs.open({ jobName: job.name, attempt: 1, podName: pod }, { follow: true })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
      message: `attempt 1 of job ${job.name} has no logs yet: container "${COMPONENT}" in pod "${pod}" is waiting to start: image can't be pulled`,
    });
  });

  it('gives nothing for a pod on no node yet, as the API server does', async () => {
    await started({ canSchedule: () => false });
    const job = nodeJob("console.log('never')");
    await cluster.runtime.launch(job, undefined);
    const pod = await podOf(job.name);

    const stream = await logs.open({ jobName: job.name, attempt: 1, podName: pod }, { follow: true });
    expect(Buffer.concat(await stream.toArray()).toString()).toBe('');
  });

  it('closes the log request when the reader goes away in the middle of a follow', async () => {
    await started();
    const job = printing(200, 100);
    await cluster.runtime.launch(job, undefined);
    await reported(cluster.sink, job.name, 'running');
    const stream = await logs.open({ jobName: job.name, attempt: 1, podName: await podOf(job.name) }, { follow: true });
    await new Promise((resolve) => stream.once('data', resolve));
    expect(cluster.server.openLogStreamCount()).toBe(1);

    stream.destroy();

    await eventually(() => cluster.server.openLogStreamCount() === 0, () => `the server still sends ${cluster.server.openLogStreamCount()} log answers`);
  });

  it('throws RuntimeUnavailableError while the API server cannot be reached', async () => {
    await started();
    await cluster.server.refuseConnections();
    await expect(logs.open({ jobName: 'j', attempt: 1, podName: 'j-abcde' }, { follow: false })).rejects.toBeInstanceOf(RuntimeUnavailableError);
    await cluster.server.acceptConnections();
  });
});

/**
 * The fake's pods/log answers, read raw, as kube-apiserver words them (checked against a real one
 * outside this repository): these are what KubernetesJobLogs is built on.
 */
describe('the fake API server serves pods/log as kube-apiserver does', () => {
  let cluster: Cluster;
  afterEach(() => cluster?.close());

  const get = (path: string) => fetch(`${cluster.server.url}/api/v1/namespaces/${NAMESPACE}/pods/${path}`, { headers: { authorization: 'Bearer fake-token' } });

  it('answers 404 with a Status body for a pod that does not exist', async () => {
    cluster = await startCluster();
    const answer = await get('nothing-here/log');
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(await answer.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nothing-here" not found',
      reason: 'NotFound',
      details: { name: 'nothing-here', kind: 'pods' },
      code: 404,
    });
  });

  it('checks tailLines before the pod, and the container name after it', async () => {
    cluster = await startCluster();
    const negative = await get('nothing-here/log?tailLines=-1');
    expect(negative.status).toBe(422);
    expect(await negative.json()).toMatchObject({
      reason: 'Invalid',
      message: 'PodLogOptions "nothing-here" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
      details: { name: 'nothing-here', kind: 'PodLogOptions', causes: [{ reason: 'FieldValueInvalid', field: 'tailLines' }] },
    });

    const job = nodeJob("console.log('one'); console.error('two')");
    await cluster.runtime.launch(job, undefined);
    await reported(cluster.sink, job.name, 'succeeded');
    const pod = cluster.server.podsOf(NAMESPACE, job.name)[0].metadata.name;
    const wrong = await get(`${pod}/log?container=sidecar`);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ reason: 'BadRequest', message: `container sidecar is not valid for pod ${pod}`, code: 400 });

    const right = await get(`${pod}/log?container=${COMPONENT}&tailLines=1`);
    expect(right.status).toBe(200);
    expect(right.headers.get('content-type')).toBe('text/plain');
    expect(await right.text()).toMatch(/^(one|two)\n$/);
  });
});
