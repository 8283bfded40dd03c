// A batch: its jobs in a table, sorted, filtered by status with the counts, paged.

import { actions, getJson, routes } from './api.js';
import { applyJobEvent, applyRead, newer, subscribe } from './live.js';
import { actionBar, announce, countJobs, duration, facts, h, hashQuery, JOB_STATUSES, main, progressBar, replaceKeepingFocus, setLive, statusBadge, time } from './shared.js';

/** Rows of a batch's table shown at once: a 10,000-job batch is paged, not drawn whole. */
const ROWS_PER_PAGE = 100;

const SORTS = {
  name: (job) => job.name,
  jobId: (job) => job.jobId ?? '',
  status: (job) => JOB_STATUSES.indexOf(job.status),
  attempts: (job) => job.podStatuses?.length ?? 0,
  exitCodes: (job) => exitCodes(job) || '',
  started: (job) => job.started ?? '',
  duration: (job) => (job.started ? (job.ended ? Date.parse(job.ended) : Date.now()) - Date.parse(job.started) : -1),
  message: (job) => job.message ?? '',
};
const COLUMNS = [
  ['name', 'Name'],
  ['jobId', 'jobId'],
  ['status', 'Status'],
  ['attempts', 'Attempts'],
  ['exitCodes', 'Exit codes'],
  ['started', 'Started'],
  ['duration', 'Duration'],
  ['message', 'Message'],
];
const exitCodes = (job) => (job.podStatuses ?? []).map((p) => p.exitCode).filter((c) => c !== undefined).join(', ');

export async function batchView(batchName, first, releases) {
  document.title = `Batch ${batchName} – Job console`;
  const jobs = new Map();
  let batch;
  let filter = hashQuery().get('status') ?? '';
  let sort = { key: 'name', direction: 'ascending' };
  let offset = 0;

  const headerFacts = h('div');
  const problem = h('p', { class: 'error', role: 'alert' });
  const countButtons = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Show jobs by status' });
  const tbody = h('tbody');
  const pager = h('div', { class: 'toolbar' });
  const caption = h('caption');
  const headRow = h(
    'tr',
    {},
    COLUMNS.map(([key, label]) =>
      h(
        'th',
        { scope: 'col', 'data-key': key },
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              sort = { key, direction: sort.key === key && sort.direction === 'ascending' ? 'descending' : 'ascending' };
              offset = 0;
              drawTable();
              announce(`Sorted by ${label}, ${sort.direction}`);
            },
          },
          label,
          // The arrow is decoration: aria-sort on the header says the order to a screen reader.
          h('span', { class: 'arrow', 'aria-hidden': 'true' }),
        ),
      ),
    ),
  );
  main.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/?kind=batches' }, 'Batches'), ' › ', batchName),
    h('h1', { tabindex: -1 }, `Batch ${batchName}`),
    // Above the facts, which grow as the batch runs: buttons that moved under the pointer would take a click meant elsewhere.
    actionBar('batch', actions.batch, batchName, undefined, (verb, body) => {
      if (verb === 'delete') location.hash = '#/?kind=batches';
      else if (verb === 'copy' && body.name) location.hash = `#/batches/${encodeURIComponent(body.name)}`;
      else refresh();
    }),
    problem,
    headerFacts,
    h('h2', { id: 'jobs-title' }, 'Jobs'),
    countButtons,
    h('div', { class: 'table-wrap' }, h('table', { 'aria-labelledby': 'jobs-title' }, caption, h('thead', {}, headRow), tbody)),
    pager,
  );

  function drawCounts() {
    const counts = countJobs(jobs.values());
    const entries = [['', 'All', jobs.size], ...JOB_STATUSES.map((s) => [s, s, counts[s]])];
    // Updated in place, so the focus stays on the button a keyboard user is on.
    if (countButtons.children.length !== entries.length) {
      countButtons.replaceChildren(
        ...entries.map(([value]) =>
          h('button', {
            type: 'button',
            'data-status': value,
            onclick: () => {
              filter = value;
              offset = 0;
              drawCounts();
              drawTable();
            },
          }),
        ),
      );
    }
    entries.forEach(([value, label, count], i) => {
      const button = countButtons.children[i];
      button.textContent = `${label} `;
      button.append(h('span', { class: 'count' }, count));
      button.setAttribute('aria-pressed', String(filter === value));
    });
  }

  function drawTable() {
    const key = SORTS[sort.key];
    const sign = sort.direction === 'ascending' ? 1 : -1;
    const rows = [...jobs.values()].filter((job) => !filter || job.status === filter);
    rows.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : 1) * sign;
    });
    if (offset >= rows.length) offset = Math.max(0, Math.floor((rows.length - 1) / ROWS_PER_PAGE) * ROWS_PER_PAGE);
    const shown = rows.slice(offset, offset + ROWS_PER_PAGE);
    for (const th of headRow.children) {
      const sorted = th.dataset.key === sort.key;
      if (sorted) th.setAttribute('aria-sort', sort.direction);
      else th.removeAttribute('aria-sort');
      th.querySelector('.arrow').textContent = sorted ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : '';
    }
    caption.textContent = `${filter ? `${filter} jobs` : 'All jobs'}: ${rows.length}, sorted by ${COLUMNS.find(([k]) => k === sort.key)[1]} (${sort.direction})`;
    replaceKeepingFocus(
      tbody,
      ...shown.map((job) =>
        h(
          'tr',
          {},
          h('td', { class: 'name' }, h('a', { href: `#/jobs/${encodeURIComponent(job.name)}` }, job.name)),
          h('td', {}, job.jobId ?? ''),
          h('td', {}, statusBadge(job.status)),
          h('td', { class: 'count' }, job.podStatuses?.length ?? 0),
          h('td', {}, exitCodes(job)),
          h('td', {}, time(job.started)),
          h('td', {}, duration(job.started, job.ended)),
          h('td', { class: 'message' }, job.message ?? ''),
        ),
      ),
    );
    if (shown.length === 0) replaceKeepingFocus(tbody, h('tr', {}, h('td', { colspan: COLUMNS.length }, 'No jobs here.')));
    replaceKeepingFocus(
      pager,
      h('button', { type: 'button', disabled: offset === 0, onclick: () => ((offset -= ROWS_PER_PAGE), drawTable()) }, '← Previous'),
      h('span', {}, rows.length ? `Rows ${offset + 1}–${offset + shown.length} of ${rows.length}` : ''),
      h('button', { type: 'button', disabled: offset + ROWS_PER_PAGE >= rows.length, onclick: () => ((offset += ROWS_PER_PAGE), drawTable()) }, 'Next →'),
    );
  }

  function drawHeader() {
    headerFacts.replaceChildren(
      facts([
        ['Status', statusBadge(batch.status)],
        ['batchId', batch.batchId],
        ['Created', time(batch.created)],
        ['Started', time(batch.started)],
        ['Ended', batch.ended ? time(batch.ended) : undefined],
        ['Duration', duration(batch.started, batch.ended)],
        ['Jobs', progressBar(countJobs(jobs.values()), jobs.size)],
      ]),
    );
  }

  let scheduled = false;
  const redraw = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      drawHeader();
      drawCounts();
      drawTable();
    });
  };

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const answer = await getJson(routes.batch(batchName));
      const { jobStatuses = [], ...own } = answer;
      batch = batch && !newer(own, batch) ? batch : own;
      applyRead(jobs, jobStatuses);
      problem.textContent = '';
      redraw();
    } catch (error) {
      problem.textContent = error.status === 404 ? `The batch ${batchName} is not found (deleted, or removed by retention).` : `Could not read the batch: ${error.message}`;
    } finally {
      busy = false;
    }
  }

  await refresh();
  releases.push(
    subscribe(
      { batchName },
      {
        refresh,
        onMode: setLive,
        onEvent: (doc) => {
          if (doc.name !== batchName) return;
          if (doc.event === 'Delete') {
            problem.textContent = `The batch ${batchName} was deleted.`;
            jobs.clear();
            redraw();
            return;
          }
          if (batch && newer(doc, batch)) for (const key of ['status', 'started', 'ended', 'updated', 'message']) if (doc[key] !== undefined) batch[key] = doc[key];
          applyJobEvent(jobs, doc);
          redraw();
        },
      },
    ),
  );
  if (first) main.querySelector('h1').focus();
}
