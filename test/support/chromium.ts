import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's chromium package; playwright never downloads a browser of its own here. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The command `npm test`'s setup can run up front (as root) so that browser tests start at once. */
export const INSTALL_CHROMIUM = 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium';

/** Flags for a quiet headless run in a container: no sandbox (root), no GPU, no calls home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const works = (path: string) => existsSync(path) && spawnSync(path, ['--version'], { stdio: 'ignore' }).status === 0;

/** The path of a working chromium, installed with apt-get first when missing and we are root. */
export function ensureChromium(): string {
  let found = CANDIDATES.find(works);
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`chromium is missing; install it as root: ${INSTALL_CHROMIUM}`);
  }
  execFileSync('sh', ['-c', INSTALL_CHROMIUM], { stdio: 'inherit' });
  found = CANDIDATES.find(works);
  if (!found) throw new Error(`chromium is still missing after: ${INSTALL_CHROMIUM}`);
  return found;
}
