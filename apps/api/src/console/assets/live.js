// Live updates, in one place: the event stream (/api/v1/events, Server-Sent Events) when the
// service has it, else polling. A page hands over what to do with an event and how to refresh.
//
// EventSource itself resumes a lost connection, sending the last `id:` it saw as Last-Event-ID, so
// nothing is missed; it gives up only when the server refuses the stream (404 before the route
// exists, or an answer that is not text/event-stream), and then this polls and tries again later.

import { JOB_STATUSES } from './shared.js';

const POLL_MS = 2000;
const RETRY_STREAM_MS = 30000;

/**
 * Subscribes to the events of `filter` ({batchName} or {jobName}, or {} for all). `onEvent(doc)`
 * gets each event (the batch status shape plus `event` and the `jobStatuses` it is about);
 * `refresh()` is called while there is no stream (and once when a new stream connects, for what
 * happened before it; a page keeps what an event told it when the read is older, see newer()). Returns a function that ends the subscription. `onMode(mode)` says
 * 'live' or 'polling', for the page to show.
 */
export function subscribe(filter, { onEvent, refresh, onMode = () => {} }) {
  let source;
  let pollTimer;
  let retryTimer;
  let closed = false;
  const query = new URLSearchParams(Object.entries(filter).filter(([, value]) => value));
  const url = `/api/v1/events${query.size ? `?${query}` : ''}`;

  // Each read waits for the one before, and a slow read (a batch of 10,000 jobs) spaces the next
  // ones out: at most a fifth of the time goes to reading.
  const poll = () => {
    if (closed || pollTimer) return;
    onMode('polling');
    const next = async () => {
      const started = Date.now();
      await refresh();
      if (pollTimer) pollTimer = setTimeout(next, Math.max(POLL_MS, 4 * (Date.now() - started)));
    };
    pollTimer = setTimeout(next, POLL_MS);
  };
  const stopPolling = () => {
    clearTimeout(pollTimer);
    pollTimer = undefined;
  };

  const connect = () => {
    if (closed || typeof EventSource === 'undefined') return poll();
    source = new EventSource(url);
    let first = true;
    source.onopen = () => {
      stopPolling();
      onMode('live');
      // A reconnection resumes after the last event seen (Last-Event-ID): nothing to read again.
      if (first) refresh();
      first = false;
    };
    source.onmessage = (message) => handle(message.data);
    for (const type of ['Create', 'Update', 'Delete']) source.addEventListener(type, (message) => handle(message.data));
    // Resumed after events the service no longer keeps: what they said is read again.
    source.addEventListener('gap', () => refresh());
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return; // reconnecting by itself, with Last-Event-ID
      source = undefined;
      poll();
      retryTimer = setTimeout(connect, RETRY_STREAM_MS);
    };
  };
  const handle = (data) => {
    let doc;
    try {
      doc = JSON.parse(data);
    } catch {
      return; // a comment or keep-alive, not an event document
    }
    onEvent(doc);
  };

  connect();
  return () => {
    closed = true;
    source?.close();
    stopPolling();
    clearTimeout(retryTimer);
  };
}

/**
 * Whether `candidate` is a later state of a job than `current`, by `updated` (RFC3339 UTC strings
 * compare as times): a read that started before an event arrived must not undo it. `updated` has
 * whole seconds; within one, statuses only move forward, so the later one in JOB_STATUSES wins
 * (a Running read must not undo a Stopped event of the same second).
 */
export function newer(candidate, current) {
  if (!current?.updated || !candidate.updated) return true;
  if (candidate.updated !== current.updated) return candidate.updated > current.updated;
  return JOB_STATUSES.indexOf(candidate.status) >= JOB_STATUSES.indexOf(current.status);
}

/** Replaces the jobs a page holds by a fresh read of them, keeping those an event made newer. */
export function applyRead(jobs, read) {
  const fresh = new Map();
  for (const job of read) {
    const held = jobs.get(job.name);
    fresh.set(job.name, held && !newer(job, held) ? held : job);
  }
  jobs.clear();
  for (const [name, job] of fresh) jobs.set(name, job);
}

/**
 * Applies an event to the jobs a page holds (a Map of name -> JobStatus): updated and created jobs
 * replace theirs, deleted ones leave. Returns whether anything the page shows changed.
 */
export function applyJobEvent(jobs, doc) {
  let changed = false;
  for (const job of doc.jobStatuses ?? []) {
    if (doc.event === 'Delete') changed = jobs.delete(job.name) || changed;
    else if (newer(job, jobs.get(job.name))) {
      jobs.set(job.name, job);
      changed = true;
    }
  }
  return changed;
}
