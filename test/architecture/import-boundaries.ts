import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The layering the README draws, as data: which part of the product code may import what. A part
 * is `apps/<name>` or `libs/<name>`; an import is resolved to the part it lands in (`@rjs/x` is
 * `libs/x`), or to the npm package it names.
 */
export interface BoundaryRule {
  /** The parts the rule applies to (a prefix such as `apps/` matches every app). */
  from: (part: string) => boolean;
  /** Returns why the import is not allowed, or undefined when it is. */
  forbids: (importer: string, target: ImportTarget) => string | undefined;
}

export type ImportTarget = { kind: 'part'; part: string } | { kind: 'package'; name: string } | { kind: 'builtin'; name: string };

export interface Violation {
  file: string;
  specifier: string;
  reason: string;
}

const isApp = (part: string) => part.startsWith('apps/');
/** The composition root: it wires the api and worker apps together, so it alone imports them. */
const COMPOSITION_ROOT = 'apps/scheduler';
/** Packages that make code depend on a framework, a store, a queue or a cluster. */
const FRAMEWORK_OR_ADAPTER = /^(@nestjs\/|@bull-board\/|@fastify\/|@kubernetes\/|bullmq$|ioredis$|fastify$|pino$|prom-client$|class-validator$|class-transformer$|yaml$)/;

export const BOUNDARY_RULES: BoundaryRule[] = [
  {
    from: (part) => part === 'libs/core',
    forbids: (_importer, target) => {
      if (target.kind === 'package' && FRAMEWORK_OR_ADAPTER.test(target.name)) return 'libs/core is the pure domain: it imports no framework or adapter';
      if (target.kind === 'part' && target.part !== 'libs/core') return 'libs/core imports no other part of the project';
      return undefined;
    },
  },
  {
    from: (part) => part.startsWith('libs/'),
    forbids: (_importer, target) => (target.kind === 'part' && isApp(target.part) ? 'a library never imports an app' : undefined),
  },
  {
    // Shared by the api app and libs/config: the vocabulary and its rules, nothing that does I/O.
    from: (part) => part === 'libs/contracts',
    forbids: (_importer, target) =>
      target.kind === 'part' && target.part !== 'libs/contracts' && target.part !== 'libs/core' ? 'libs/contracts builds on libs/core alone' : undefined,
  },
  {
    from: (part) => part === 'apps/api',
    forbids: (_importer, target) =>
      (target.kind === 'part' && target.part === 'libs/runtime') || (target.kind === 'package' && target.name.startsWith('@kubernetes/'))
        ? 'the api app never touches a runtime: it only records and queues work'
        : undefined,
  },
  {
    from: () => true,
    forbids: (importer, target) =>
      target.kind === 'part' && target.part === COMPOSITION_ROOT && importer !== COMPOSITION_ROOT ? 'nothing imports the composition root (apps/scheduler)' : undefined,
  },
  {
    from: (part) => isApp(part) && part !== COMPOSITION_ROOT,
    forbids: (importer, target) =>
      target.kind === 'part' && isApp(target.part) && target.part !== importer ? 'an app never imports another app: shared code belongs in a library' : undefined,
  },
];

/** `apps/api/src/x.ts` -> `apps/api`; undefined outside apps/ and libs/. */
export function partOf(pathFromRoot: string): string | undefined {
  const [top, name] = pathFromRoot.split(/[\\/]/);
  return (top === 'apps' || top === 'libs') && name ? `${top}/${name}` : undefined;
}

export function classifyImport(root: string, importerFile: string, specifier: string): ImportTarget {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) return { kind: 'builtin', name: specifier };
  const alias = /^@rjs\/([a-z-]+)/.exec(specifier);
  if (alias) return { kind: 'part', part: `libs/${alias[1]}` };
  if (specifier.startsWith('.')) {
    const target = relative(root, resolve(dirname(importerFile), specifier));
    const part = partOf(target);
    return part ? { kind: 'part', part } : { kind: 'package', name: target.split(sep).join('/') };
  }
  const segments = specifier.split('/');
  return { kind: 'package', name: specifier.startsWith('@') ? segments.slice(0, 2).join('/') : segments[0] };
}

/** Every import, export-from, dynamic import() and require() of one file, type-only ones included. */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

export function checkFile(root: string, file: string, source: string, rules = BOUNDARY_RULES): Violation[] {
  const fromRoot = relative(root, file);
  const part = partOf(fromRoot);
  if (!part) return [];
  const violations: Violation[] = [];
  for (const specifier of importsOf(source)) {
    const target = classifyImport(root, file, specifier);
    for (const rule of rules) {
      const reason = rule.from(part) ? rule.forbids(part, target) : undefined;
      if (reason) violations.push({ file: fromRoot, specifier, reason });
    }
  }
  return violations;
}

/** The product's TypeScript files: apps/ and libs/, without tests (they may boot the composition root). */
export function productFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (/\.ts$/.test(entry.name) && !/\.(e2e-)?spec\.ts$/.test(entry.name)) files.push(path);
    }
  };
  for (const top of ['apps', 'libs']) walk(join(root, top));
  return files;
}

export function checkTree(root: string): Violation[] {
  return productFiles(root).flatMap((file) => checkFile(root, file, readFileSync(file, 'utf8')));
}
