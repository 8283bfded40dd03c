import type { ListPosition } from '@rjs/core';
import type { ListRoute } from './list-route';

/** Longer than any cursor this API writes (a job name is at most 63 characters). */
const MAX_CURSOR_LENGTH = 512;

interface CursorFields {
  /** The list. */
  l: ListRoute['list'];
  /** The name of the last item of the page. */
  n: string;
  /** Its creation time (ms), the first part of an index's sort key; absent for a batch's jobs. */
  s?: number;
}

/**
 * The `continue` parameter: the sort key of the last item of a page, in base64url JSON. Opaque to
 * clients (the format may change); a sort key rather than an offset, so that it stays valid while
 * items are added or removed.
 */
export function encodeCursor(route: ListRoute, position: ListPosition): string {
  const fields: CursorFields = { l: route.list, n: position.name, s: position.score };
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/** The position a cursor of this list names, or undefined when it is not one. */
export function decodeCursor(route: ListRoute, cursor: string): ListPosition | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let fields: Partial<CursorFields>;
  try {
    fields = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorFields>;
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null || fields.l !== route.list || typeof fields.n !== 'string' || fields.n === '') return undefined;
  const indexed = route.list !== 'batch-jobs';
  if (indexed !== (typeof fields.s === 'number' && Number.isFinite(fields.s))) return undefined;
  return indexed ? { name: fields.n, score: fields.s } : { name: fields.n };
}
