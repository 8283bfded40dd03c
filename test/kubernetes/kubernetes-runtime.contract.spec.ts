import { describeRuntimeContract } from '../runtime-contract/runtime-contract';
import { fakeCluster, NAMESPACE } from './kubernetes-test-support';

/** The shared JobRuntime contract, run by the Kubernetes adapter against the fake API server. */
describeRuntimeContract('Kubernetes Jobs (fake API server)', async () => {
  const { server, runtime, cleanup } = await fakeCluster();
  return {
    runtime,
    cleanup,
    async leftovers(jobName) {
      const job = server.get('jobs', NAMESPACE, jobName);
      const secrets = server.list('secrets', NAMESPACE).filter((s) => s.metadata.name.startsWith(jobName));
      return [...(job ? [`Job ${jobName}`] : []), ...server.podsOf(NAMESPACE, jobName).map((p) => `Pod ${p.metadata.name}`), ...secrets.map((s) => `Secret ${s.metadata.name}`)];
    },
  };
});
