// The job console: a list of batches, a batch's jobs, a job's attempts, options and log. Plain ES
// modules served as they are (no build step, nothing fetched from elsewhere); this one routes.

import { getJson, routes } from './api.js';
import { batchView } from './batch-view.js';
import { jobView } from './job-view.js';
import { forgetNewerPages, listView } from './list-view.js';
import { h, hashQuery, main, session } from './shared.js';

/** What the current view holds open (subscriptions, log streams), released when it is left. */
const releases = [];

async function route() {
  for (const release of releases.splice(0)) release();
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/';
  const batch = /^\/batches\/(.+)$/.exec(path);
  const job = /^\/jobs\/(.+)$/.exec(path);
  if (batch) await batchView(decodeURIComponent(batch[1]), true, releases);
  else if (job) await jobView(decodeURIComponent(job[1]), true, releases);
  else {
    if (!hashQuery().get('before')) forgetNewerPages();
    await listView(true, releases);
  }
}

async function start() {
  try {
    Object.assign(session, await getJson(routes.session()));
  } catch (error) {
    main.replaceChildren(h('p', { class: 'error', role: 'alert' }, `The console cannot reach the service: ${error.message}`));
    return;
  }
  document.getElementById('component').textContent = session.component;
  const mode = document.getElementById('mode');
  mode.textContent = session.signedIn ? 'Signed in: actions available' : 'Read-only';
  mode.classList.toggle('signed-in', session.signedIn);
  window.addEventListener('hashchange', route);
  await route();
}

start();
