import { KubernetesJobLogs } from '@rjs/runtime';
import { describeJobLogsContract } from '../runtime-contract/job-logs-contract';
import { COMPONENT, fakeCluster, NAMESPACE } from './kubernetes-test-support';

/** The shared JobLogs contract, read through the API server's pods/log of the fake's real processes. */
describeJobLogsContract('Kubernetes pod logs (fake API server)', async () => {
  const cluster = await fakeCluster();
  return { ...cluster, logs: new KubernetesJobLogs({ component: COMPONENT, kubeConfig: cluster.server.kubeConfig(NAMESPACE) }) };
});
