import { ConfigError, loadConfig } from '@rjs/config';
import { closeRedis, createRedis } from '@rjs/store';
import { migrateKeyLayout } from './key-layout-migration';

/**
 * `npm run migrate:redis-keys` (in an image: `node dist/apps/scheduler/src/migrate-redis-keys.js`):
 * moves the configured component's keys on REDIS_URL from the layout before hash tags to today's,
 * with the same configuration as the scheduler (RADIX_CONFIG, JOB_COMPONENT, REDIS_URL). Run it with
 * every scheduler process stopped, before the new version starts. Exits 1 on a conflict or error.
 */
async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`migrate-redis-keys: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  // Waits for the connection (the fail-fast client refuses commands until it is ready).
  const redis = createRedis(config);
  try {
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', () => resolve());
      redis.once('end', () => reject(new Error('could not connect to Redis')));
      setTimeout(() => reject(new Error('Redis did not answer within 10 s')), 10_000).unref();
    });
    const component = config.component.name;
    const { renamed, conflicts } = await migrateKeyLayout(redis, component);
    process.stdout.write(`migrate-redis-keys: component ${component}: ${renamed} keys moved to the hash-tagged layout\n`);
    if (conflicts.length) {
      process.stderr.write(
        `migrate-redis-keys: ${conflicts.length} keys left under their old name, their new name is taken (did the new version run before the migration?):\n` +
          conflicts.map(({ from, to }) => `  ${from} -> ${to}\n`).join(''),
      );
      return 1;
    }
    return 0;
  } finally {
    await closeRedis(redis);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`migrate-redis-keys: failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
