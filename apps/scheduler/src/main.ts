import { ConfigError, loadConfig } from '@rjs/config';
import { createScheduler } from './bootstrap';
import { runtimeConfigProblems } from './runtime.factory';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    const problems = runtimeConfigProblems(config);
    if (problems.length) throw new ConfigError(problems);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`radix-job-scheduler: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createScheduler(config);
  await app.listen(config.port, '0.0.0.0');
}

main().catch((error) => {
  process.stderr.write(`radix-job-scheduler: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
