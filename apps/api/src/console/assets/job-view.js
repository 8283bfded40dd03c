// A job: its status, attempts as a timeline, the options it runs with, and its log (followed).

import { actions, getJson, routes, streamText } from './api.js';
import { newer, subscribe } from './live.js';
import { actionBar, duration, facts, FINAL, h, main, session, setLive, statusBadge, time } from './shared.js';

export async function jobView(jobName, first, releases) {
  document.title = `Job ${jobName} – Job console`;
  let details;
  const problem = h('p', { class: 'error', role: 'alert' });
  const crumbs = h('p', { class: 'crumbs' });
  const summary = h('div');
  const actionsHolder = h('div');
  const attempts = h('ol', { class: 'attempts' });
  const options = h('div');
  const attemptSelect = h('select', { id: 'log-attempt' });
  const follow = h('input', { type: 'checkbox', id: 'log-follow', checked: true });
  const logStatus = h('p', { class: 'notice', 'aria-live': 'polite' });
  const log = h('pre', { class: 'log', tabindex: 0, 'aria-labelledby': 'log-title' });
  main.replaceChildren(
    crumbs,
    h('h1', { tabindex: -1 }, `Job ${jobName}`),
    // Above the facts, which grow as the job runs: buttons that moved under the pointer would take a click meant elsewhere.
    actionsHolder,
    problem,
    summary,
    h('h2', {}, 'Attempts'),
    attempts,
    h('h2', {}, 'Options'),
    options,
    h('h2', { id: 'log-title' }, 'Log'),
    h('div', { class: 'toolbar' }, h('label', { for: 'log-attempt' }, 'Attempt'), attemptSelect, follow, h('label', { for: 'log-follow' }, 'Follow')),
    logStatus,
    log,
  );

  // The log: one stream at a time, of the chosen attempt (the latest unless the reader picks one).
  const logState = { attempt: 0, pinned: false, controller: undefined, open: false, done: false };
  function openLog(attempt) {
    logState.controller?.abort();
    const controller = new AbortController();
    Object.assign(logState, { attempt, controller, open: true, done: false });
    log.textContent = '';
    const job = details.job;
    const running = !FINAL.has(job.status) && attempt === job.podStatuses.length;
    const following = follow.checked && running;
    logStatus.textContent = following ? `Following attempt ${attempt}…` : `Attempt ${attempt}`;
    const append = (text) => {
      // Keeps the newest line in view unless the reader scrolled up to read.
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.append(text);
      if (atEnd) log.scrollTop = log.scrollHeight;
    };
    streamText(routes.logs(jobName, attempt, following), append, controller.signal)
      .then(() => {
        if (controller.signal.aborted) return;
        logState.done = true;
        if (!log.textContent) log.textContent = '(nothing printed)';
        logStatus.textContent = `Attempt ${attempt}: ${following ? 'the attempt ended' : 'all of it so far'}`;
      })
      .catch((error) => {
        if (controller.signal.aborted) return;
        logStatus.textContent = `No log of attempt ${attempt}: ${error.message}`;
      })
      .finally(() => {
        if (logState.controller === controller) logState.open = false;
      });
  }
  attemptSelect.addEventListener('change', () => {
    logState.pinned = true;
    openLog(Number(attemptSelect.value));
  });
  follow.addEventListener('change', () => logState.attempt && openLog(logState.attempt));
  releases.push(() => logState.controller?.abort());

  function drawLogChoice() {
    const count = details.job.podStatuses.length;
    if (attemptSelect.options.length !== count) {
      attemptSelect.replaceChildren(...details.job.podStatuses.map((pod, i) => h('option', { value: i + 1 }, `${i + 1} (${pod.name})`)));
    }
    if (count === 0) {
      logStatus.textContent = 'No attempt has started yet.';
      return;
    }
    const wanted = logState.pinned ? logState.attempt : count;
    attemptSelect.value = String(wanted);
    // A new attempt, or a stream that ended early (no output yet) while the job still runs: read again.
    const stale = wanted !== logState.attempt || (!logState.open && !logState.done && !FINAL.has(details.job.status));
    if (stale) openLog(wanted);
  }

  function draw() {
    const { job, batchType, batchName } = details;
    const inBatch = batchType === 'batch';
    crumbs.replaceChildren(
      ...(inBatch
        ? [h('a', { href: '#/?kind=batches' }, 'Batches'), ' › ', h('a', { href: `#/batches/${encodeURIComponent(batchName)}` }, batchName), ' › ', jobName]
        : [h('a', { href: '#/?kind=singles' }, 'Single jobs'), ' › ', jobName]),
    );
    summary.replaceChildren(
      facts([
        ['Status', statusBadge(job.status)],
        ['Message', job.message],
        ['jobId', job.jobId],
        ['Batch', inBatch ? batchName : undefined],
        ['Created', time(job.created)],
        ['Started', time(job.started)],
        ['Ended', job.ended ? time(job.ended) : undefined],
        ['Duration', duration(job.started, job.ended)],
        ['Failed attempts', String(job.failed)],
        ['Restarted', job.restart ? time(job.restart) : undefined],
      ]),
    );
    drawAttempts(job);
    drawOptions(details.options);
    drawLogChoice();
  }

  function drawAttempts(job) {
    const pods = job.podStatuses;
    if (!pods.length) {
      attempts.replaceChildren(h('li', {}, 'None yet.'));
      return;
    }
    // Each attempt's bar spans its part of the whole job's time, first start to last end (or now).
    const first = Math.min(...pods.map((p) => Date.parse(p.startTime ?? p.created ?? job.created)));
    const last = Math.max(...pods.map((p) => (p.endTime ? Date.parse(p.endTime) : Date.now())), first + 1000);
    attempts.replaceChildren(
      ...pods.map((pod, i) => {
        const start = pod.startTime ?? pod.created;
        const from = ((Date.parse(start ?? job.created) - first) / (last - first)) * 100;
        const to = (((pod.endTime ? Date.parse(pod.endTime) : Date.now()) - first) / (last - first)) * 100;
        const status = pod.replicaStatus?.status ?? '';
        return h(
          'li',
          {},
          h('strong', {}, `Attempt ${i + 1}`),
          ' ',
          h('span', { class: 'notice' }, pod.name),
          ' ',
          h('span', { class: `status s-${status === 'Pending' ? 'Waiting' : status}` }, status),
          facts([
            ['Started', time(start)],
            ['Ended', pod.endTime ? time(pod.endTime) : undefined],
            ['Duration', duration(start, pod.endTime)],
            ['Exit code', pod.exitCode === undefined ? undefined : String(pod.exitCode)],
            ['Reason', pod.reason],
            ['Message', pod.statusMessage],
          ]),
          h('div', { class: 'span', 'aria-hidden': 'true' }, h('span', { class: `s-${status === 'Pending' ? 'Waiting' : status}`, style: `left: ${from}%; width: ${Math.max(0.5, to - from)}%` })),
        );
      }),
    );
  }

  function drawOptions(o) {
    if (!o) {
      options.replaceChildren(h('p', { class: 'notice' }, 'The stored spec is gone.'));
      return;
    }
    const json = (value) => (value === undefined ? undefined : h('code', {}, JSON.stringify(value)));
    const variables = Object.entries(o.variables ?? {});
    const rules = o.failurePolicy?.rules ?? [];
    options.replaceChildren(
      facts([
        ['Image', o.image],
        ['Image tag', o.imageTagName],
        ['Time limit', `${o.timeLimitSeconds} s`],
        ['Backoff limit', String(o.backoffLimit)],
        ['Failure policy', rules.length ? rules.map((r) => `${r.action} when exit code ${r.onExitCodes.operator} ${r.onExitCodes.values.join(', ')}`).join('; ') : undefined],
        ['Resources', Object.keys(o.resources ?? {}).length ? json(o.resources) : undefined],
        ['Node type', o.runtime?.nodeType],
        ['Architecture', o.runtime?.architecture],
        ['GPU', o.node?.gpu ? `${o.node.gpu}${o.node.gpuCount ? ` × ${o.node.gpuCount}` : ''}` : undefined],
        ['Command', o.command ? json(o.command) : undefined],
        ['Args', o.args ? json(o.args) : undefined],
        ['Variables', variables.length ? h('ul', {}, variables.map(([k, v]) => h('li', {}, h('code', {}, k), ' = ', session.signedIn ? h('code', {}, v) : h('em', {}, v)))) : undefined],
        [
          'Payload',
          !o.hasPayload ? 'none' : session.signedIn ? h('pre', { class: 'payload' }, o.payload ?? '') : h('em', {}, 'hidden (read-only console)'),
        ],
      ]),
    );
  }

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const read = await getJson(routes.jobDetails(jobName));
      // An event may have told a later state than this read saw.
      if (details && !newer(read.job, details.job)) read.job = details.job;
      details = read;
      problem.textContent = '';
      if (!actionsHolder.firstChild) {
        const single = details.batchType === 'job';
        actionsHolder.replaceChildren(
          actionBar(single ? 'job' : 'job of the batch', single ? actions.single : actions.batchJob, jobName, details.batchName, (verb, body) => {
            if (verb === 'delete') location.hash = '#/?kind=singles';
            else if (verb === 'copy' && body.name) location.hash = `#/jobs/${encodeURIComponent(body.name)}`;
            else {
              logState.pinned = false;
              refresh();
            }
          }),
        );
      }
      draw();
    } catch (error) {
      problem.textContent = error.status === 404 ? `The job ${jobName} is not found (deleted, or removed by retention).` : `Could not read the job: ${error.message}`;
    } finally {
      busy = false;
    }
  }

  await refresh();
  releases.push(
    subscribe(
      { jobName },
      {
        refresh,
        onMode: setLive,
        onEvent: (doc) => {
          const job = (doc.jobStatuses ?? []).find((j) => j.name === jobName);
          if (!job || !details) return;
          if (doc.event === 'Delete') {
            problem.textContent = `The job ${jobName} was deleted.`;
            return;
          }
          if (!newer(job, details.job)) return;
          details.job = job;
          draw();
        },
      },
    ),
  );
  if (first) main.querySelector('h1').focus();
}
