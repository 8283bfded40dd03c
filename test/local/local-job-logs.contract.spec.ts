import { LocalJobLogs } from '@rjs/runtime';
import { describeJobLogsContract } from '../runtime-contract/job-logs-contract';
import { makeLocalHarness } from './local-harness';

describeJobLogsContract('local log files', async () => {
  const harness = await makeLocalHarness();
  return { ...harness, logs: new LocalJobLogs({ workDir: harness.workDir }) };
});
