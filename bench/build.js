#!/usr/bin/env node
// Compiles the TypeScript the benchmarks run (bench/, apps/, libs/, test/support/) to CommonJS in
// .tmp/bench-build with the project's own swc (the compiler jest uses), with the same decorator
// settings as jest.config.js. Plain compiled JavaScript, not a require hook: the services run as in
// production, and their memory figures do not include a compiler loaded at run time.
// No type-checking here; `npm run typecheck` covers bench/ (it is in tsconfig.json's include).
'use strict';
const { cpSync, readdirSync, statSync, mkdirSync, writeFileSync, rmSync } = require('node:fs');
const { join, relative, dirname, posix, sep } = require('node:path');
const swc = require('@swc/core');

const root = join(__dirname, '..');
const out = join(root, '.tmp', 'bench-build');
const SOURCES = ['apps', 'libs', 'test/support', 'bench'];
const ALIASES = { '@rjs/core': 'libs/core/src', '@rjs/config': 'libs/config/src', '@rjs/contracts': 'libs/contracts/src', '@rjs/store': 'libs/store/src', '@rjs/queue': 'libs/queue/src', '@rjs/runtime': 'libs/runtime/src', '@rjs/platform': 'libs/platform/src' };

function* typescriptFiles(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* typescriptFiles(path);
    else if (/\.ts$/.test(entry) && !/\.(spec|e2e-spec|d)\.ts$/.test(entry)) yield path;
  }
}

/** `@rjs/core` becomes a path relative to the compiled file, as the Nest CLI does for the production build (nest build). */
function rewriteAliases(code, file) {
  return code.replace(/require\(["'](@rjs\/[a-z]+)["']\)/g, (whole, alias) => {
    if (!ALIASES[alias]) return whole;
    let target = relative(dirname(file), join(root, ALIASES[alias])).split(sep).join(posix.sep);
    if (!target.startsWith('.')) target = `./${target}`;
    return `require("${target}")`;
  });
}

function build() {
  const started = Date.now();
  rmSync(out, { recursive: true, force: true });
  let count = 0;
  for (const source of SOURCES) {
    for (const file of typescriptFiles(join(root, source))) {
      const { code } = swc.transformFileSync(file, {
        swcrc: false,
        sourceMaps: 'inline',
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
      });
      const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, rewriteAliases(code, file));
      count++;
    }
  }
  // The job console's page and scripts, served from beside its compiled module as in dist/ (nest-cli.json's assets).
  cpSync(join(root, 'apps/api/src/console/assets'), join(out, 'apps/api/src/console/assets'), { recursive: true });
  return { count, ms: Date.now() - started };
}

module.exports = { build, out };

if (require.main === module) {
  const { count, ms } = build();
  console.log(`[bench] compiled ${count} files to ${relative(root, out)} in ${ms} ms`);
}
