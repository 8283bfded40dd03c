import { type FSWatcher, watch } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** How much of a log file is read at once, backwards (tail) or forwards. */
const CHUNK_BYTES = 64 * 1024;
/** A line longer than this is passed on in pieces rather than held whole in memory. */
const MAX_HELD_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Where the last `lines` lines of the first `size` bytes of a file begin, and how many lines that
 * is (fewer when the file holds fewer). Reads backwards in chunks: a log may be gigabytes. A last
 * line without its newline counts as a line.
 */
export async function tailStart(file: FileHandle, size: number, lines: number): Promise<{ offset: number; lines: number }> {
  if (lines === 0 || size === 0) return { offset: size, lines: 0 };
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let found = 0;
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - CHUNK_BYTES);
    const { bytesRead } = await file.read(buffer, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      // Each newline but the file's last one is followed by the start of a line.
      if (buffer[i] !== NEWLINE || start + i === size - 1) continue;
      if (++found === lines) return { offset: start + i + 1, lines };
    }
    end = start;
  }
  return { offset: 0, lines: found + 1 };
}

/**
 * Reads a file that may still grow, from an offset, in chunks, and hands out whole lines only: the
 * unfinished last line is held until its newline comes (so that lines of two files can be
 * interleaved without cutting one), or until `rest()` is asked for at the end.
 */
export class LogFileReader {
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    readonly file: FileHandle,
    private offset = 0,
  ) {}

  /** Where reading starts; only before the first read. */
  seek(offset: number): void {
    this.offset = offset;
  }

  /** The whole lines written from the offset up to byte `until` (default: what is there now). */
  async *lines(until = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer> {
    for (;;) {
      const wanted = Math.min(CHUNK_BYTES, until - this.offset);
      if (wanted <= 0) return;
      const chunk = Buffer.allocUnsafe(wanted);
      const { bytesRead } = await this.file.read(chunk, 0, wanted, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      const data = chunk.subarray(0, bytesRead);
      const end = data.lastIndexOf(NEWLINE) + 1;
      if (end > 0) {
        yield this.release(data.subarray(0, end));
        this.hold(data.subarray(end));
      } else {
        this.hold(data);
        if (this.heldBytes >= MAX_HELD_BYTES) yield this.release();
      }
    }
  }

  /** The unfinished last line, given a newline so that what follows starts a line of its own. */
  rest(): Buffer | undefined {
    return this.heldBytes > 0 ? this.release(Buffer.from('\n')) : undefined;
  }

  close(): Promise<void> {
    return this.file.close();
  }

  private hold(data: Buffer): void {
    if (data.length === 0) return;
    this.held.push(data);
    this.heldBytes += data.length;
  }

  private release(tail?: Buffer): Buffer {
    const out = Buffer.concat(tail ? [...this.held, tail] : this.held);
    this.held = [];
    this.heldBytes = 0;
    return out;
  }
}

/**
 * Wakes a follower when something in a directory changes (fs.watch), and at least every
 * `intervalMs` (some file systems never report changes; a process may end without writing).
 */
export class DirectoryChanges {
  private watcher?: FSWatcher;
  private changed = false;
  private wake?: () => void;

  constructor(
    path: string,
    private readonly intervalMs: number,
    signal: AbortSignal,
  ) {
    try {
      this.watcher = watch(path, () => this.notify());
      // The directory went away, or the watch failed: the interval alone remains.
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No watch available (inotify limit, unsupported file system): the interval alone.
    }
    signal.addEventListener('abort', () => this.notify(), { once: true });
  }

  /** Resolves after the next change (at once if one came since the last call) or the interval. */
  next(): Promise<void> {
    if (this.changed) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.intervalMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
    });
  }

  close(): void {
    this.watcher?.close();
    this.wake?.();
  }

  private notify(): void {
    this.changed = true;
    this.wake?.();
  }
}

/**
 * A Readable over what `produce` yields, with backpressure (the generator waits at each yield until
 * the reader wants more). Destroying the stream aborts the signal, so that a generator waiting for
 * new output (not at a yield) stops too and releases what it holds. `release` runs on destroy as
 * well: a generator destroyed before its first read never enters its body, so its `finally` never
 * runs (a HEAD answer destroys the stream at once).
 */
export function abortableReadable(produce: (signal: AbortSignal) => AsyncGenerator<Buffer>, release: () => Promise<void>): Readable {
  const controller = new AbortController();
  const chunks = produce(controller.signal);
  let pulling = false;
  return new Readable({
    read() {
      if (pulling) return;
      pulling = true;
      // The flag drops in the same turn as the last push, so that no later read() is missed.
      void (async () => {
        try {
          for (let more = true; more; ) {
            const { value, done } = await chunks.next();
            // A destroyed stream must not end as if complete: its reader would take it for the whole output.
            if (this.destroyed) return;
            if (done) return void this.push(null);
            more = this.push(value);
          }
        } catch (error) {
          this.destroy(error as Error);
        } finally {
          pulling = false;
        }
      })();
    },
    destroy(error, callback) {
      controller.abort();
      chunks
        .return(undefined)
        .then(release)
        .then(
          () => callback(error),
          (cleanupError: Error) => callback(error ?? cleanupError),
        );
    },
  });
}
