import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFileReader, tailStart } from './log-file';

/** The same answer the slow way: split into lines (a last one without newline counts). */
function naiveTail(text: string, lines: number): { offset: number; lines: number } {
  const all = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const kept = lines === 0 ? [] : all.slice(-lines);
  return { offset: text.length - kept.join('').length, lines: kept.length };
}

describe('log files', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'rjs-log-file-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function withFile<T>(text: string, use: (file: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> {
    const path = join(dir, `f-${Math.random()}`);
    writeFileSync(path, text);
    const file = await open(path, 'r');
    try {
      return await use(file);
    } finally {
      await file.close();
    }
  }

  const KIB64 = 64 * 1024;
  it.each([
    { case: 'newline right at a chunk boundary', text: 'a\n' + 'x'.repeat(KIB64 - 2) + '\n' + 'y\n' },
    { case: 'a line longer than a chunk', text: 'first\n' + 'x'.repeat(3 * KIB64) + '\nlast' },
    { case: 'only newlines across chunks', text: '\n'.repeat(KIB64 + 3) },
    { case: 'no newline at all, over a chunk', text: 'z'.repeat(KIB64 + 10) },
  ])('tailStart finds the start of the last lines: $case', async ({ text }) => {
    for (const lines of [0, 1, 2, 3, 70_000]) {
      expect(await withFile(text, (file) => tailStart(file, text.length, lines))).toEqual(naiveTail(text, lines));
    }
  });

  it('tailStart agrees with splitting into lines on random text', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 40; round++) {
      const size = Math.floor(random() * 3 * KIB64);
      const text = Array.from({ length: size }, () => (random() < 0.05 ? '\n' : 'a')).join('');
      const lines = Math.floor(random() * 200);
      expect(await withFile(text, (file) => tailStart(file, text.length, lines))).toEqual(naiveTail(text, lines));
    }
  });

  it('LogFileReader gives whole lines only, and the unfinished one at the end with a newline', async () => {
    const text = 'one\ntwo\nthr';
    const chunks = await withFile(text, async (file) => {
      const reader = new LogFileReader(file);
      const out: string[] = [];
      for await (const chunk of reader.lines()) out.push(chunk.toString());
      out.push(reader.rest()?.toString() ?? '');
      return out;
    });
    expect(chunks).toEqual(['one\ntwo\n', 'thr\n']);
  });
});
