// `npm start` builds only when the sources changed since the last successful build (a full
// `nest build` takes ~20 s on a small host). The build's inputs (apps/, libs/ without specs, the
// tsconfigs, nest-cli.json, package-lock.json) are hashed by content, not by mtime, so a checkout
// or a copy cannot fool it; the hash is kept in dist/ beside the output once a build succeeded.
// tsc's --incremental would still load and check the whole program on every start.
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const SOURCE_DIRS = ['apps', 'libs'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package-lock.json'];
const STAMP = join('dist', '.build-fingerprint');
const OUTPUT = join('dist', 'apps', 'scheduler', 'src', 'main.js');

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && !entry.name.endsWith('.spec.ts')) yield path;
  }
}

/** A hash of every file the build reads, names included (a rename or a removal changes it). */
function fingerprint(root) {
  const hash = createHash('sha256');
  const files = [
    ...SOURCE_DIRS.filter((dir) => existsSync(join(root, dir))).flatMap((dir) => [...walk(join(root, dir))]),
    ...SOURCE_FILES.map((file) => join(root, file)).filter((file) => existsSync(file)),
  ];
  for (const file of files) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** Runs `build()` unless the output exists and was built from these very sources. True when it built. */
function buildIfChanged(root, build) {
  const current = fingerprint(root);
  const stamp = join(root, STAMP);
  if (existsSync(join(root, OUTPUT)) && existsSync(stamp) && readFileSync(stamp, 'utf8') === current) return false;
  // A build that fails half way must not leave a stamp that a later start would trust.
  rmSync(stamp, { force: true });
  build();
  writeFileSync(stamp, current);
  return true;
}

module.exports = { buildIfChanged, fingerprint };
