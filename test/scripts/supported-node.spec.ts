import { execFileSync } from 'node:child_process';
import semver from 'semver';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ENGINES, satisfies, supportedNode } = require('../../scripts/supported-node') as {
  ENGINES: string;
  satisfies: (version: string, range: string) => boolean;
  supportedNode: () => string;
};

describe('scripts/supported-node.js', () => {
  it('reads the range from package.json engines', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(ENGINES).toBe((require('../../package.json') as { engines: { node: string } }).engines.node);
  });

  it.each(['v18.20.0', 'v20.19.0', 'v20.20.2', 'v21.7.3', 'v22.0.0', 'v22.12.0', 'v22.22.2', 'v22.22.3', 'v22.30.1', 'v23.11.0', 'v24.0.0', 'v24.14.1', 'v24.15.0', 'v24.22.3', 'v25.1.0', 'v26.0.0'])(
    'agrees with semver on %s',
    (version) => {
      expect(satisfies(version, ENGINES)).toBe(semver.satisfies(version, ENGINES));
      expect(satisfies(version, '^22.22.3 || >=24.15.0')).toBe(semver.satisfies(version, '^22.22.3 || >=24.15.0'));
    },
  );

  it('refuses a range form it cannot read, rather than guessing', () => {
    expect(() => satisfies('v24.0.0', '~24.1.0')).toThrow(/cannot read "~24.1.0"/);
  });

  it('gives a Node.js that satisfies engines: this one when it does, else one fetched from the npm registry', () => {
    const node = supportedNode();
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    expect({ version, supported: semver.satisfies(version, ENGINES) }).toEqual({ version, supported: true });
    expect(node === process.execPath).toBe(semver.satisfies(process.version, ENGINES));
  }, 120_000);
});
