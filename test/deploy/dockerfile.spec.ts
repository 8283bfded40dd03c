import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Instruction = { keyword: string; args: string };
type Stage = { from: string; name?: string; instructions: Instruction[] };

const repo = resolve(__dirname, '../..');

/** Instructions grouped by stage; comments dropped and continuation lines joined, as Docker does. */
function parseDockerfile(text: string): Stage[] {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const logical: string[] = [];
  let current = '';
  for (const line of lines) {
    if (/\\\s*$/.test(line)) current += `${line.replace(/\\\s*$/, '')} `;
    else {
      current += line;
      if (current.trim()) logical.push(current.trim().replace(/\s+/g, ' '));
      current = '';
    }
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword, ...rest] = line.split(' ');
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(' ').filter((a) => !a.startsWith('--'));
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length) stages[stages.length - 1].instructions.push(instruction);
    else if (instruction.keyword !== 'ARG') throw new Error(`${instruction.keyword} before FROM`);
  }
  return stages;
}

/** An exec-form (JSON array) argument list, or a shell-form string run by /bin/sh -c. */
const commandOf = (args: string): string[] => (args.startsWith('[') ? JSON.parse(args) : ['/bin/sh', '-c', args]);
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);

const stages = parseDockerfile(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
const runtime = stages[stages.length - 1];
const packageJson = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const dockerignore = readFileSync(join(repo, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** COPY/ADD sources taken from the build context (not from another stage). */
const contextSources = stages.flatMap((stage) =>
  stage.instructions
    .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.args.includes('--from='))
    .flatMap((i) => {
      const parts = i.args.split(' ').filter((a) => !a.startsWith('--'));
      return parts.slice(0, -1);
    }),
);

describe('Dockerfile', () => {
  it('builds in one stage (npm ci, npm run build) and ships a node:24 runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runtime.from).toMatch(/^node:24([.-]|$)/);
    const build = stages.find((s) => all(s, 'RUN').some((r) => r.includes('npm run build')));
    expect(build).toBeDefined();
    expect(build).not.toBe(runtime);
    const buildRuns = all(build!, 'RUN').join('\n');
    // Held to the lock: npm ci, never npm install.
    expect(buildRuns.indexOf('npm ci')).toBeGreaterThanOrEqual(0);
    expect(buildRuns.indexOf('npm ci')).toBeLessThan(buildRuns.indexOf('npm run build'));
    expect(buildRuns).not.toMatch(/npm (install|i)\b/);
    expect(all(runtime, 'COPY')).toContain(`--from=${build!.name} /app/dist ./dist`);
  });

  it('installs only production dependencies, held to the lock, in the runtime stage', () => {
    const runs = all(runtime, 'RUN').join('\n');
    expect(runs).toContain('sh scripts/install-runtime-deps.sh');
    expect(all(runtime, 'COPY')).toContain('scripts/install-runtime-deps.sh ./scripts/');
    expect(runs).not.toMatch(/npm (ci|install|i)\b/);
    const script = readFileSync(join(repo, 'scripts/install-runtime-deps.sh'), 'utf8');
    expect(script).toMatch(/^npm ci --omit=dev --omit=optional /m);
    expect(script).not.toMatch(/^npm (install|i)\b/m);
    expect(all(runtime, 'ENV')).toContain('NODE_ENV=production');
  });

  it('needs no frontend image from a registry (no # syntax= line)', () => {
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('ships the example radixconfig.yaml and examples/ beside dist/', () => {
    const copies = all(runtime, 'COPY');
    expect(copies).toContain('radixconfig.yaml ./radixconfig.yaml');
    expect(copies).toContain('examples ./examples');
    expect(last(runtime, 'WORKDIR')).toBe('/app');
  });

  it('runs as a non-root user', () => {
    const user = last(runtime, 'USER');
    expect(user).toBeDefined();
    const [name, group] = user!.split(':');
    expect(['root', '0']).not.toContain(name);
    if (group !== undefined) expect(['root', '0']).not.toContain(group);
    // Numeric, so Kubernetes can verify runAsNonRoot from the image alone.
    expect(name).toMatch(/^[1-9]\d*$/);
    // USER must come after the steps that need root (apt-get, npm install).
    const keywords = runtime.instructions.map((i) => i.keyword);
    expect(keywords.lastIndexOf('USER')).toBeGreaterThan(keywords.lastIndexOf('RUN'));
  });

  it('exposes 8000 and starts the scheduler as `npm run start:built` does', () => {
    expect(all(runtime, 'EXPOSE')).toEqual(['8000']);
    const entrypoint = last(runtime, 'ENTRYPOINT');
    const command = [...(entrypoint ? commandOf(entrypoint) : []), ...commandOf(last(runtime, 'CMD')!)];
    const started = command.slice(command.indexOf('node')).join(' ');
    // package.json is the one place the built entry point is named.
    expect(started).toBe(packageJson.scripts['start:built']);
  });

  it('starts a file that `npm run build` produces (tsc maps <rootDir>/X.ts to <outDir>/X.js)', () => {
    const tsconfig = JSON.parse(readFileSync(join(repo, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
    const entry = commandOf(last(runtime, 'CMD')!).find((arg) => arg.endsWith('.js'))!;
    const outDir = tsconfig.compilerOptions.outDir.replace(/\/$/, '');
    expect(entry.startsWith(`${outDir}/`)).toBe(true);
    const source = join(repo, tsconfig.compilerOptions.rootDir, entry.slice(outDir.length + 1).replace(/\.js$/, '.ts'));
    expect({ source: source.slice(repo.length + 1), exists: existsSync(source) }).toEqual({ source: expect.any(String), exists: true });
  });

  it('checks liveness on /healthz', () => {
    expect(last(runtime, 'HEALTHCHECK')).toContain('/healthz');
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    expect(contextSources.length).toBeGreaterThan(0);
    for (const source of contextSources) {
      expect({ source, exists: existsSync(join(repo, source)) }).toEqual({ source, exists: true });
      expect({ source, ignoredBy: dockerignore.filter((p) => p === source || p === `${source}/`) }).toEqual({ source, ignoredBy: [] });
    }
  });

  it('keeps host builds and dependencies out of the build context', () => {
    expect(dockerignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});
