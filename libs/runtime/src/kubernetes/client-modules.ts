import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Client from '@kubernetes/client-node';

/**
 * The parts of @kubernetes/client-node 1.4, each loaded when first needed.
 *
 * The package is one ES module graph: its KubeConfig (dist/config.js) imports the generated index
 * (dist/gen/index.js, every API group's client and ~1,000 model classes) for two names,
 * createConfiguration and ServerConfiguration. That graph is ~50 MB of RSS and ~15 MB of heap on
 * Node 24 (its source text stays in the heap), and a process that only lists and watches (the
 * watcher role; the api role reading logs) never calls a generated client. The package offers no
 * entry point without it, so KubeConfig is loaded with config.js's import of the index resolved to
 * a module that re-exports the two names from their own files (the same modules the index
 * re-exports, so the classes are the ones the full client uses). That needs a synchronous resolve
 * hook (module.registerHooks, Node >= 22.15), registered for that one load only; on an older Node
 * the index is loaded as before. The generated clients load on the first call that needs them.
 */

const DIST = dirname(require.resolve('@kubernetes/client-node/dist/config.js'));

type RegisterHooks = (hooks: {
  resolve(specifier: string, context: { parentURL?: string }, next: (specifier: string, context: { parentURL?: string }) => { url: string }): { url: string; format?: string; shortCircuit?: boolean };
}) => { deregister(): void };

type ConfigModule = { KubeConfig: typeof Client.KubeConfig };
let config: ConfigModule | undefined;

/** KubeConfig, without the generated clients where the Node allows (above). */
export function kubeConfigClass(): typeof Client.KubeConfig {
  if (config) return config.KubeConfig;
  const configFile = join(DIST, 'config.js');
  const registerHooks = (nodeModule as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  if (!registerHooks) return (config = require(configFile) as ConfigModule).KubeConfig;
  const configUrl = pathToFileURL(configFile).href;
  const from = (file: string) => JSON.stringify(pathToFileURL(join(DIST, 'gen', file)).href);
  const twoNames = `data:text/javascript,${encodeURIComponent(`export { createConfiguration } from ${from('configuration.js')}; export { ServerConfiguration } from ${from('servers.js')};`)}`;
  let hooks: { deregister(): void };
  try {
    hooks = registerHooks({
      resolve: (specifier, context, next) =>
        specifier === './gen/index.js' && context.parentURL === configUrl ? { url: twoNames, format: 'module', shortCircuit: true } : next(specifier, context),
    });
  } catch {
    // A loader that refuses hooks (jest's module sandbox throws on registerHooks): the index is loaded as before.
    return (config = require(configFile) as ConfigModule).KubeConfig;
  }
  try {
    return (config = require(configFile) as ConfigModule).KubeConfig;
  } finally {
    hooks.deregister();
  }
}

/** Watch (dist/watch.js imports node-fetch only). */
export function watchClass(): typeof Client.Watch {
  return (require('@kubernetes/client-node/dist/watch.js') as typeof Client).Watch;
}

/** The error the generated clients throw (and the plain requests too, for one way of reading errors). */
export function apiExceptionClass(): typeof Client.ApiException {
  return (require('@kubernetes/client-node/dist/gen/apis/exception.js') as typeof Client).ApiException;
}

/** The whole client, with its generated API clients: loaded on the first call that needs one. */
export function generatedClient(): typeof Client {
  return require('@kubernetes/client-node') as typeof Client;
}
