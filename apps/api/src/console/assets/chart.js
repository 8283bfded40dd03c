// Jobs finished per minute by status (GET /console/api/activity), as an inline SVG of stacked bars.
// Drawn by hand: a few dozen rectangles need no charting library, and nothing may be fetched.

const NS = 'http://www.w3.org/2000/svg';
export const FINISHED = ['Succeeded', 'Failed', 'Stopped'];

function svg(name, attributes, parent) {
  const element = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  parent?.appendChild(element);
  return element;
}

/** hh:mm UTC, as every time in the console is UTC. */
const clock = (iso) => `${iso.slice(11, 16)} UTC`;

/** Returns a <figure> with the chart and, for screen readers, the totals in words. */
export function activityChart(activity) {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  const totals = Object.fromEntries(FINISHED.map((s) => [s, activity.minutes.reduce((sum, m) => sum + m[s], 0)]));
  const summary = `Jobs finished in the last hour: ${FINISHED.map((s) => `${totals[s]} ${s}`).join(', ')}`;

  // The drawing stretches to the width it gets; its labels are HTML, so they keep their shape.
  const width = 600;
  const height = 100;
  const top = 4;
  const bottom = 1;
  const left = 0;
  const max = Math.max(1, ...activity.minutes.map((m) => m.Succeeded + m.Failed + m.Stopped));
  const step = (width - left) / activity.minutes.length;
  const scale = (height - top - bottom) / max;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': summary, preserveAspectRatio: 'none' });
  svg('line', { x1: left, x2: width, y1: height - bottom, y2: height - bottom, class: 'axis' }, root);
  activity.minutes.forEach((minute, i) => {
    let y = height - bottom;
    for (const status of FINISHED) {
      const h = minute[status] * scale;
      if (!h) continue;
      y -= h;
      const bar = svg('rect', { x: left + i * step + 1, y, width: Math.max(1, step - 2), height: h, class: `bar s-${status}` }, root);
      svg('title', {}, bar).textContent = `${clock(minute.start)}: ${minute[status]} ${status}`;
    }
  });
  const plot = document.createElement('div');
  plot.className = 'plot';
  const scaleLabel = document.createElement('span');
  scaleLabel.className = 'tick max';
  scaleLabel.setAttribute('aria-hidden', 'true');
  scaleLabel.textContent = `${max} / min`;
  const times = document.createElement('div');
  times.className = 'tick times';
  times.setAttribute('aria-hidden', 'true');
  for (const iso of [activity.from, activity.to]) times.appendChild(document.createElement('span')).textContent = clock(iso);
  plot.append(scaleLabel, root, times);
  figure.appendChild(plot);
  const caption = document.createElement('figcaption');
  caption.innerHTML = FINISHED.map((s) => `<span class="legend"><span class="swatch s-${s}" aria-hidden="true"></span>${s} <strong>${totals[s]}</strong></span>`).join(' ');
  caption.prepend(document.createTextNode('Finished per minute, last hour: '));
  figure.appendChild(caption);
  return figure;
}
