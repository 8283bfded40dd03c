// What every view of the console shares: statuses, the reader's session, and small DOM helpers.
// Every text from the API goes into the page as text (textContent), never as markup.

import { act, ApiError } from './api.js';

export const JOB_STATUSES = ['Waiting', 'Active', 'Running', 'Stopping', 'Succeeded', 'Failed', 'Stopped'];
export const BATCH_STATUSES = [...JOB_STATUSES, 'Completed'];
export const FINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

/** Whether the console is signed in (actions offered), set once at start from /console/api/session. */
export const session = { signedIn: false, component: '' };

export const main = document.getElementById('main');

/** h('a', {href}, 'text', child...): an element; strings become text nodes. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'class') element.className = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) element.append(child instanceof Node ? child : String(child));
  return element;
}

export const time = (iso) => (iso ? iso.replace('T', ' ').replace('Z', ' UTC') : '—');

export function duration(from, to) {
  if (!from) return '';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (!(ms >= 0)) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Replaces a container's children and, when the keyboard focus was inside it, puts the focus on the
 * equivalent new element (the same link or button): live updates must not throw a keyboard or
 * screen-reader user back to the top of the page.
 */
export function replaceKeepingFocus(container, ...children) {
  const focused = document.activeElement;
  const key = focused && focused !== document.body && container.contains(focused) ? focusKey(focused) : undefined;
  container.replaceChildren(...children);
  if (key === undefined) return;
  const match = [...container.querySelectorAll('a, button')].find((element) => focusKey(element) === key);
  match?.focus({ preventScroll: true });
}
const focusKey = (element) => `${element.tagName}|${element.getAttribute('href') ?? element.textContent}`;

export const statusBadge = (status) => h('span', { class: `status s-${status}` }, status);
export const announce = (text) => {
  const region = document.getElementById('announce');
  region.textContent = '';
  setTimeout(() => (region.textContent = text), 50);
};

export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, value]) => value !== undefined && value !== '').flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** A bar of a batch's jobs by status, read out as the counts. */
export function progressBar(counts, total) {
  const parts = JOB_STATUSES.filter((s) => counts[s] > 0);
  const label = `${parts.map((s) => `${counts[s]} ${s}`).join(', ') || 'no jobs'} of ${total} ${total === 1 ? 'job' : 'jobs'}`;
  return h('div', { class: 'progress', role: 'img', 'aria-label': label, title: label }, parts.map((s) => h('span', { class: `s-${s}`, style: `flex: ${counts[s]}` })));
}

export function countJobs(jobs) {
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0]));
  for (const job of jobs) counts[job.status] = (counts[job.status] ?? 0) + 1;
  return counts;
}

export function hashQuery() {
  const [, query = ''] = location.hash.split('?');
  return new URLSearchParams(query);
}

export function setLive(mode) {
  document.getElementById('live').textContent = mode === 'live' ? 'Live: updates as they happen' : 'Updating every 2 s (no event stream)';
}

/** Confirms with a modal dialog (focus stays inside it; Escape cancels); resolves true on confirm. */
export function confirmAction(title, text, verb) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = verb;
  const opener = document.activeElement;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        opener?.focus?.();
        resolve(dialog.returnValue === 'ok');
      },
      { once: true },
    );
  });
}

/**
 * Buttons for the actions of `target` (only when signed in). Each asks first, then calls the API;
 * a refusal shows the API's message. `after(verb, body)` follows a success.
 */
export function actionBar(label, routesOf, name, batch, after) {
  if (!session.signedIn) return h('p', { class: 'notice' }, 'Read-only: stop, restart, copy, delete, payloads and variable values need the console to have credentials (BULL_BOARD_USER and BULL_BOARD_PASSWORD on the service).');
  const problem = h('p', { class: 'error', role: 'alert' });
  const verbs = Object.keys(routesOf);
  const bar = h(
    'div',
    { class: 'toolbar', role: 'group', 'aria-label': `Actions on ${label}` },
    verbs.map((verb) =>
      h(
        'button',
        {
          type: 'button',
          class: verb === 'delete' || verb === 'stop' ? 'danger' : undefined,
          onclick: async () => {
            problem.textContent = '';
            const capital = verb[0].toUpperCase() + verb.slice(1);
            if (!(await confirmAction(`${capital} ${label}?`, confirmText(verb, label, name), capital))) return;
            const [method, path] = routesOf[verb](name, batch);
            try {
              const body = await act(method, path);
              announce(body.message ?? `${capital}: done`);
              after(verb, body);
            } catch (error) {
              problem.textContent = error instanceof ApiError ? `${capital} refused: ${error.message}` : String(error);
            }
          },
        },
        verb[0].toUpperCase() + verb.slice(1),
      ),
    ),
  );
  return h('div', {}, bar, problem);
}

function confirmText(verb, label, name) {
  switch (verb) {
    case 'stop':
      return `Stop ${label} ${name}? Jobs that have not finished end Stopped.`;
    case 'restart':
      return `Run ${label} ${name} again under the same name? A running job is stopped first.`;
    case 'copy':
      return `Create a new ${label} with the same specs and payloads as ${name}?`;
    default:
      return `Delete ${label} ${name} with its records and logs? This cannot be undone.`;
  }
}
