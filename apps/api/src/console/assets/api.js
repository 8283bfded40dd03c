// Calls to the scheduler's own HTTP API (same origin: the browser sends the console's credentials).

/** An answer the API refused; `message` is the API's own (its Status body), shown as it stands. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function failure(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === 'string') return new ApiError(response.status, body.message);
  } catch {
    // not JSON: the text itself says what went wrong
  }
  return new ApiError(response.status, text || `${response.status} ${response.statusText}`);
}

export async function getJson(path, options = {}) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, signal: options.signal });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** POST or DELETE; resolves with the answer's body, rejects with ApiError carrying the API's message. */
export async function act(method, path) {
  const response = await fetch(path, { method, headers: { accept: 'application/json' } });
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

/**
 * Reads a text answer as it arrives (the logs route streams, and with follow stays open while the
 * attempt runs), handing each piece to `onText`. Resolves when the answer ends.
 */
export async function streamText(path, onText, signal) {
  const response = await fetch(path, { signal });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onText(value);
  }
}

const enc = encodeURIComponent;
export const routes = {
  session: () => '/console/api/session',
  summaries: (params) => `/console/api/batches?${new URLSearchParams(params)}`,
  activity: () => '/console/api/activity',
  jobDetails: (name) => `/console/api/jobs/${enc(name)}`,
  batch: (name) => `/api/v1/batches/${enc(name)}`,
  logs: (name, attempt, follow) => `/api/v1/jobs/${enc(name)}/logs?attempt=${attempt}${follow ? '&follow=true' : ''}`,
  events: (params) => `/api/v1/events?${new URLSearchParams(params)}`,
};

/**
 * The action routes of the Radix API, by what they act on, under /console/api/v1: the service
 * forwards them there behind the console's credentials (a page's writes to /api/v1 itself are refused).
 */
export const actions = {
  single: {
    stop: (job) => ['POST', `/console/api/v1/jobs/${enc(job)}/stop`],
    restart: (job) => ['POST', `/console/api/v1/jobs/${enc(job)}/restart`],
    copy: (job) => ['POST', `/console/api/v1/jobs/${enc(job)}/copy`],
    delete: (job) => ['DELETE', `/console/api/v1/jobs/${enc(job)}`],
  },
  batchJob: {
    stop: (job, batch) => ['POST', `/console/api/v1/batches/${enc(batch)}/jobs/${enc(job)}/stop`],
    restart: (job, batch) => ['POST', `/console/api/v1/batches/${enc(batch)}/jobs/${enc(job)}/restart`],
  },
  batch: {
    stop: (batch) => ['POST', `/console/api/v1/batches/${enc(batch)}/stop`],
    restart: (batch) => ['POST', `/console/api/v1/batches/${enc(batch)}/restart`],
    copy: (batch) => ['POST', `/console/api/v1/batches/${enc(batch)}/copy`],
    delete: (batch) => ['DELETE', `/console/api/v1/batches/${enc(batch)}`],
  },
};
