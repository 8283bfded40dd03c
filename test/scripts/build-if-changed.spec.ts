import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// scripts/ are plain Node (npm start runs them before anything is built).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildIfChanged } = require('../../scripts/build-if-changed.js') as { buildIfChanged(root: string, build: () => void): boolean };

describe('npm start builds only when the sources changed', () => {
  let root: string;
  let builds: number;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  // Stands in for `nest build`: writes the entry point the service is started from.
  const build = () => {
    builds++;
    write('dist/apps/scheduler/src/main.js', `// build ${builds}`);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rjs-build-'));
    builds = 0;
    write('apps/scheduler/src/main.ts', 'export {};');
    write('libs/core/src/index.ts', 'export const a = 1;');
    write('tsconfig.json', '{}');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds the first time, then skips while nothing changed', () => {
    expect(buildIfChanged(root, build)).toBe(true);
    expect(buildIfChanged(root, build)).toBe(false);
    expect(builds).toBe(1);
  });

  it.each([
    ['a source is edited', () => write('libs/core/src/index.ts', 'export const a = 2;')],
    ['a source is added', () => write('libs/core/src/extra.ts', 'export {};')],
    ['a source is removed', () => rmSync(join(root, 'libs/core/src/index.ts'))],
    ['the compiler options change', () => write('tsconfig.json', '{"compilerOptions":{}}')],
    ['the output is gone', () => rmSync(join(root, 'dist/apps'), { recursive: true })],
  ])('builds again when %s', (_what, change) => {
    buildIfChanged(root, build);
    change();
    expect(buildIfChanged(root, build)).toBe(true);
    expect(builds).toBe(2);
  });

  it('does not rebuild for a spec file (the build leaves specs out)', () => {
    buildIfChanged(root, build);
    write('libs/core/src/index.spec.ts', 'it("x", () => undefined);');
    expect(buildIfChanged(root, build)).toBe(false);
  });

  it('builds again after a build that failed, even with the same sources', () => {
    buildIfChanged(root, build);
    write('libs/core/src/index.ts', 'broken');
    expect(() => buildIfChanged(root, () => { throw new Error('tsc failed'); })).toThrow('tsc failed');
    write('libs/core/src/index.ts', 'export const a = 1;');
    // The earlier output matches these sources, but the failed build may have overwritten part of it.
    expect(buildIfChanged(root, build)).toBe(true);
  });
});
