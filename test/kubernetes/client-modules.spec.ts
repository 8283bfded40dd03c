import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformFileSync } from '@swc/core';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { supportedNode } = require('../../scripts/supported-node.js') as { supportedNode(): string };

const ROOT = join(__dirname, '..', '..');

/**
 * client-modules.ts changes how Node resolves one import of @kubernetes/client-node, which jest's
 * own module system does not go through: so it runs compiled, in a process of a Node the project
 * supports (module.registerHooks), as the service does.
 */
describe('the Kubernetes client, loaded in parts (client-modules.ts)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rjs-client-modules-'));
    const { code } = transformFileSync(join(ROOT, 'libs/runtime/src/kubernetes/client-modules.ts'), {
      swcrc: false,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    writeFileSync(join(dir, 'client-modules.js'), code);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `body` in a fresh process; `loaded` holds every module URL resolved so far. */
  const run = (body: string): Record<string, unknown> => {
    const script = `
      const { registerHooks } = require('node:module');
      const loaded = [];
      registerHooks({ resolve(specifier, context, next) { const resolved = next(specifier, context); loaded.push(resolved.url); return resolved; } });
      const parts = require(${JSON.stringify(join(dir, 'client-modules.js'))});
      const generatedModules = () => loaded.filter((url) => /\\/dist\\/gen\\/(apis|models|types)\\//.test(url) && !url.endsWith('/apis/exception.js')).length;
      (async () => { ${body} })().then((result) => process.stdout.write(JSON.stringify(result)), (error) => { console.error(error); process.exit(1); });
    `;
    const output = execFileSync(supportedNode(), ['-e', script], { env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') }, encoding: 'utf8' });
    return JSON.parse(output) as Record<string, unknown>;
  };

  const KUBECONFIG = `{ clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }], users: [{ name: 'u', token: 'secret-token' }], contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'ns' }], currentContext: 'x' }`;

  it('loads KubeConfig, Watch and ApiException without the generated API clients and models', () => {
    const result = run(`
      const kubeConfig = new (parts.kubeConfigClass())();
      kubeConfig.loadFromOptions(${KUBECONFIG});
      new (parts.watchClass())(kubeConfig);
      const options = { headers: {} };
      await kubeConfig.applyToHTTPSOptions(options);
      return { generated: generatedModules(), authorization: options.headers.Authorization, exception: new (parts.apiExceptionClass())(404, 'm', '', {}).code };
    `);
    expect(result).toEqual({ generated: 0, authorization: 'Bearer secret-token', exception: 404 });
  });

  it('gives the whole client the same classes when a generated client is needed afterwards', () => {
    const result = run(`
      const KubeConfig = parts.kubeConfigClass();
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromOptions(${KUBECONFIG});
      const client = parts.generatedClient();
      const batch = kubeConfig.makeApiClient(client.BatchV1Api);
      return {
        generated: generatedModules() > 0,
        same: client.KubeConfig === KubeConfig && client.Watch === parts.watchClass() && client.ApiException === parts.apiExceptionClass(),
        createJob: typeof batch.createNamespacedJob,
      };
    `);
    expect(result).toEqual({ generated: true, same: true, createJob: 'function' });
  });
});
