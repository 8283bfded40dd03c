import { join } from 'node:path';
import { ConfigError, DEFAULT_RETENTION_SECONDS, loadConfig } from './config';

const RADIX_CONFIG = join(__dirname, '../../../radixconfig.yaml');
const load = (env: Record<string, string>) => loadConfig({ RADIX_CONFIG, ...env });

describe('LAUNCH_RETRY_TIMEOUT_SECONDS', () => {
  it('gives up on a launch after an hour by default', () => {
    expect(load({}).launchRetryTimeoutSeconds).toBe(3600);
  });

  it.each([
    ['0', 0],
    ['90', 90],
    ['604800', 604800],
  ])('takes %s', (value, seconds) => {
    expect(load({ LAUNCH_RETRY_TIMEOUT_SECONDS: value }).launchRetryTimeoutSeconds).toBe(seconds);
  });

  it.each(['-1', '1.5', '1h', '604801'])('stops the start on %s, saying what it accepts', (value) => {
    expect(() => load({ LAUNCH_RETRY_TIMEOUT_SECONDS: value })).toThrow(ConfigError);
    expect(() => load({ LAUNCH_RETRY_TIMEOUT_SECONDS: value })).toThrow(`LAUNCH_RETRY_TIMEOUT_SECONDS must be a whole number from 0 to 604800, got "${value}"`);
  });
});

describe('RETENTION_SECONDS', () => {
  it('defaults to 7 days', () => {
    expect(load({}).retentionSeconds).toBe(DEFAULT_RETENTION_SECONDS);
    expect(DEFAULT_RETENTION_SECONDS).toBe(604_800);
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['86400', 86_400],
  ])('takes %s', (value, seconds) => {
    expect(load({ RETENTION_SECONDS: value }).retentionSeconds).toBe(seconds);
  });

  it.each(['-1', '1.5', '7d', '99999999999'])('stops the start on %s, listing it with the other problems', (value) => {
    let error: unknown;
    try {
      load({ RETENTION_SECONDS: value, PORT: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringContaining('PORT must be a whole number'),
      `RETENTION_SECONDS must be a whole number from 0 to 3153600000, got "${value}"`,
    ]);
  });
});
