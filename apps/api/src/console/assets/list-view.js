// The list of batches (or single jobs), newest first, with the picture of jobs finished per minute.

import { getJson, routes } from './api.js';
import { activityChart } from './chart.js';
import { subscribe } from './live.js';
import { BATCH_STATUSES, h, hashQuery, main, progressBar, replaceKeepingFocus, setLive, statusBadge, time } from './shared.js';

const LIST_PAGE = 20;
/** Columns of the list left out on a narrow screen (batchId, Jobs, Created, Ended): the bar says the counts. */
const NARROW_HIDDEN = new Set([1, 4, 5, 6]);
/** The picture reads job states on the server; it is refreshed at most this often. */
const CHART_EVERY_MS = 15000;

/** `before` of each page the reader came through, to go back to newer pages. */
let newerPages = [];

/** Forgets the way back (a list opened afresh, not by Older/Newer). */
export const forgetNewerPages = () => {
  newerPages = [];
};

/** `releases` collects what the view holds open, released when it is left. */
export async function listView(first, releases) {
  const query = hashQuery();
  const kind = query.get('kind') === 'singles' ? 'singles' : 'batches';
  const status = query.get('status') ?? '';
  const before = query.get('before') ?? '';
  const title = kind === 'singles' ? 'Single jobs' : 'Batches';
  document.title = `${title} – Job console`;

  const select = h(
    'select',
    { id: 'status-filter', onchange: () => go({ kind, status: select.value }) },
    h('option', { value: '' }, 'All'),
    BATCH_STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  const chartHolder = h('section', { 'aria-labelledby': 'chart-title' }, h('h2', { id: 'chart-title' }, 'Jobs finished per minute'));
  const tbody = h('tbody');
  const pager = h('div', { class: 'toolbar' });
  const problem = h('p', { class: 'error', role: 'alert' });
  main.replaceChildren(
    h('h1', { tabindex: -1 }, title),
    chartHolder,
    h('div', { class: 'toolbar' }, h('label', { for: 'status-filter' }, 'Status'), select),
    problem,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', {}, `${title}, newest first${status ? `, status ${status}` : ''}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Name', kind === 'singles' ? 'jobId' : 'batchId', 'Status', 'Jobs by status', 'Jobs', 'Created', 'Ended'].map((t, i) =>
              h('th', { scope: 'col', class: NARROW_HIDDEN.has(i) ? 'hide-narrow' : undefined }, t),
            ),
          ),
        ),
        tbody,
      ),
    ),
    pager,
  );

  function go(params) {
    const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
    location.hash = `#/?${search}`;
  }

  let chartAt = 0;
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const page = await getJson(routes.summaries({ kind, limit: LIST_PAGE, ...(status ? { status } : {}), ...(before ? { before } : {}) }));
      problem.textContent = '';
      replaceKeepingFocus(
        tbody,
        ...page.items.map((item) => {
          const link = kind === 'singles' ? `#/jobs/${encodeURIComponent(item.name)}` : `#/batches/${encodeURIComponent(item.name)}`;
          return h(
            'tr',
            {},
            h('td', { class: 'name' }, h('a', { href: link }, item.name)),
            h('td', { class: 'hide-narrow' }, (kind === 'singles' ? item.jobId : item.batchId) ?? ''),
            h('td', {}, statusBadge(item.status)),
            h('td', {}, progressBar(item.counts, item.jobCount)),
            h('td', { class: 'count hide-narrow' }, item.jobCount),
            h('td', { class: 'hide-narrow' }, time(item.created)),
            h('td', { class: 'hide-narrow' }, time(item.ended)),
          );
        }),
      );
      if (page.items.length === 0) {
        // A filtered page stops after looking at so many batches; older ones may still match.
        const more = page.next ? ' among the latest; Older → looks further back' : '';
        replaceKeepingFocus(tbody, h('tr', {}, h('td', { colspan: 7 }, `No ${title.toLowerCase()}${status ? ` with status ${status}` : ''}${more}.`)));
      }
      replaceKeepingFocus(
        pager,
        h('button', { type: 'button', disabled: !before, onclick: () => go({ kind, status, before: newerPages.pop() }) }, '← Newer'),
        h(
          'button',
          {
            type: 'button',
            disabled: !page.next,
            onclick: () => {
              newerPages.push(before);
              go({ kind, status, before: page.next });
            },
          },
          'Older →',
        ),
      );
      if (Date.now() - chartAt > CHART_EVERY_MS) {
        chartAt = Date.now();
        const activity = await getJson(routes.activity());
        chartHolder.replaceChildren(chartHolder.firstChild, activityChart(activity));
      }
    } catch (error) {
      problem.textContent = `Could not read the list: ${error.message}`;
    } finally {
      busy = false;
    }
  }
  await refresh();
  // Any event may change the page; many at once (a batch starting) make one read a second.
  let pending;
  const soon = () => (pending ??= setTimeout(() => ((pending = undefined), refresh()), 1000));
  releases.push(() => clearTimeout(pending));
  releases.push(subscribe({}, { onEvent: soon, refresh, onMode: setLive }));
  if (first) main.querySelector('h1').focus();
}
