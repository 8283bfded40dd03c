/**
 * Recognises the errors ioredis (and BullMQ through it) raises while Redis cannot be reached or is
 * full, so that the API answers 503 "try again" rather than 500. The Redis client is built to fail fast
 * while disconnected (no offline queue, one retry), so these arrive quickly.
 */
const UNAVAILABLE_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'Command timed out',
  'None of startup nodes is available',
  // ioredis' Cluster client (REDIS_CLUSTER_NODES): no connection to the cluster, or to a slot's master.
  "Cluster isn't ready",
  'Cluster is disconnected',
  'Failed to refresh slots cache',
  'Node is disconnected',
  'Too many Cluster redirections',
];
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** Replies of a Redis that is up but cannot serve yet (loading, failing over, a busy script). */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

export function isStoreUnavailable(error: unknown): boolean {
  return someErrorIn(error, ({ name, message, code }) => {
    if (name === 'MaxRetriesPerRequestError') return true;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
    return name === 'ReplyError' && TRANSIENT_REPLIES.test(message);
  });
}

/**
 * Redis is up but out of memory (maxmemory reached, noeviction): it refuses every command that
 * needs memory with "OOM command not allowed when used memory > 'maxmemory'", reads still work.
 */
export function isStoreFull(error: unknown): boolean {
  return someErrorIn(error, ({ name, message }) => name === 'ReplyError' && /^OOM\b/.test(message));
}

/** The error, the errors an AggregateError holds and the causes, a few levels deep. */
function someErrorIn(error: unknown, test: (error: Error & { code?: unknown }) => boolean, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  if (test(error)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => someErrorIn(e, test, depth + 1))) return true;
  return someErrorIn(error.cause, test, depth + 1);
}
