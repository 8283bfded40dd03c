// The Node.js versions this project supports are package.json's engines.node (the container image
// runs Node 24). A machine whose own Node.js is older (Node 20 is past end of life, yet still the
// default on many hosts) still runs `npm start` and `npm test` with one command: they fetch Node 24
// from the npm registry, where the node-<platform>-<arch> packages carry the official binaries,
// into .tmp/node, and run the install, the build, the tests and the service under it.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, rmSync } = require('node:fs');
const { delimiter, dirname, join } = require('node:path');

const root = join(__dirname, '..');
const ENGINES = require('../package.json').engines.node;
/** The version fetched when this machine's Node.js is not supported: the newest Node 24 the registry has. */
const FETCHED_NODE_RANGE = '^24.15.0';

/**
 * Whether `version` (e.g. "v20.20.2") satisfies a range made of `^X.Y.Z` and `>=X.Y.Z` alternatives
 * joined by `||`, the only forms engines.node uses. Written out because it runs before node_modules
 * (and so the semver package) exists; test/scripts checks it against semver.
 */
function satisfies(version, range) {
  const parse = (text) => text.replace(/^v/, '').split('.').map(Number);
  const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  const have = parse(version);
  return range.split('||').some((alternative) => {
    const match = /^\s*(\^|>=)\s*(\d+\.\d+\.\d+)\s*$/.exec(alternative);
    if (!match) throw new Error(`engines.node: cannot read "${alternative.trim()}" (use ^X.Y.Z or >=X.Y.Z alternatives)`);
    const floor = parse(match[2]);
    return compare(have, floor) >= 0 && (match[1] === '>=' || have[0] === floor[0]);
  });
}

/** The `node` binary of a fetched version under .tmp/node that satisfies engines.node, if any. */
function fetchedNode(dir) {
  if (!existsSync(dir)) return undefined;
  const binaries = readdirSync(dir)
    .filter((version) => satisfies(version, ENGINES))
    .map((version) => join(dir, version, 'bin', 'node'))
    .filter((binary) => existsSync(binary));
  return binaries.sort().pop();
}

function fetchNode(dir) {
  const name = `node-${process.platform}-${process.arch}`;
  console.log(`[setup] Node.js ${process.version} is not supported (package.json engines: ${ENGINES}); fetching ${name}@${FETCHED_NODE_RANGE} from the npm registry...`);
  mkdirSync(dir, { recursive: true });
  const [packed] = JSON.parse(execFileSync('npm', ['pack', `${name}@${FETCHED_NODE_RANGE}`, '--json', '--pack-destination', dir], { cwd: dir, encoding: 'utf8' }));
  const target = join(dir, packed.version);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target);
  execFileSync('tar', ['-xzf', join(dir, packed.filename), '-C', target, '--strip-components=1']);
  rmSync(join(dir, packed.filename));
  return join(target, 'bin', 'node');
}

/** A Node.js binary that satisfies engines.node: this one, else one under .tmp/node (fetched on first use). */
function supportedNode() {
  if (satisfies(process.version, ENGINES)) return process.execPath;
  const dir = join(root, '.tmp', 'node');
  return fetchedNode(dir) ?? fetchNode(dir);
}

/** The environment in which `node`, and so npm and the tools it starts, is the given binary. */
function envWithNode(nodeBinary, env = process.env) {
  return { ...env, PATH: [dirname(nodeBinary), env.PATH].filter(Boolean).join(delimiter) };
}

module.exports = { ENGINES, envWithNode, satisfies, supportedNode };
