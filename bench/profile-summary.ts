import { readFileSync } from 'node:fs';

/**
 * Reads a .cpuprofile (node --cpu-prof; `npm run bench -- --only 1 --profile` writes them to
 * .tmp/bench-profiles) and prints where the time went: self time by package or source directory,
 * and the top functions by self and by total time.
 *
 *   node .tmp/bench-build/bench/profile-summary.js .tmp/bench-profiles/<file>.cpuprofile [top]
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return '(native/vm)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  if (url.startsWith('node:')) return 'node core';
  const ours = /bench-build\/((?:apps|libs)\/[^/]+\/src(?:\/[^/]+)?|test\/[^/]+|bench\/[^/]+)/.exec(url);
  return ours ? ours[1] : url;
}

function summarize(path: string, top: number): void {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const label = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} ${where(frame.url)}:${frame.lineNumber + 1}`;

  const selfByPlace = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const totalByFunction = new Map<string, number>();
  for (const [id, time] of self) {
    const node = byId.get(id)!;
    const place = node.callFrame.functionName === '(garbage collector)' ? '(garbage collector)' : node.callFrame.functionName === '(idle)' ? '(idle)' : where(node.callFrame.url);
    selfByPlace.set(place, (selfByPlace.get(place) ?? 0) + time);
    selfByFunction.set(label(node.callFrame), (selfByFunction.get(label(node.callFrame)) ?? 0) + time);
    // Total time: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at)!.callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      totalByFunction.set(key, (totalByFunction.get(key) ?? 0) + time);
    }
  }
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [key, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((100 * time) / total).toFixed(1).padStart(6)}%  ${(time / 1000).toFixed(0).padStart(7)} ms  ${key}`);
    }
  };
  console.log(`${path}: ${(total / 1e6).toFixed(1)} s sampled`);
  print('Self time by package / source directory', selfByPlace);
  print('Top functions by self time', selfByFunction);
  print('Top functions by total time', totalByFunction);
}

summarize(process.argv[2], Number(process.argv[3] ?? 25));
