import { KubernetesJobLogs } from '@rjs/runtime';
import { describeJobLogsContract } from '../runtime-contract/job-logs-contract';
import { FakeKubernetesServer } from '../support/fake-kubernetes';
import { COMPONENT, NAMESPACE, newRuntime } from './kubernetes-test-support';

/** The shared JobLogs contract, read through the API server's pods/log of the fake's real processes. */
describeJobLogsContract('Kubernetes pod logs (fake API server)', async () => {
  const server = await FakeKubernetesServer.start();
  const runtime = newRuntime(server);
  return {
    runtime,
    logs: new KubernetesJobLogs({ component: COMPONENT, kubeConfig: server.kubeConfig(NAMESPACE) }),
    async cleanup() {
      await runtime.close();
      await server.stop();
    },
  };
});
