/**
 * The status page's script, sent inline. Plain browser JavaScript (the
 * project's TypeScript targets Node without DOM types): it subscribes to
 * /events and renders the chosen job's JobSnapshot (see snapshot.ts for the
 * fields). The job shown is named in the URL's fragment (#job=ID), so a link
 * to one job works; without one it shows the first running job.
 */
export const PAGE_SCRIPT = String.raw`
'use strict';
const STATES = { p: 'pending', c: 'claimed', d: 'done', q: 'quarantined' };
const jobs = new Map();        // jobId -> listing
const snapshots = new Map();   // jobId -> { snapshot, receivedAt }
const $ = (id) => document.getElementById(id);
$('root').textContent = ROOT;

function chosenJob() {
  const m = /job=([^&]+)/.exec(location.hash);
  if (m && jobs.has(decodeURIComponent(m[1]))) return decodeURIComponent(m[1]);
  const list = [...jobs.values()];
  const running = list.find((j) => !j.complete);
  return (running || list[0] || {}).jobId;
}

function renderJobs() {
  const nav = $('jobs');
  const current = chosenJob();
  nav.replaceChildren(...[...jobs.values()].map((j) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.job = j.jobId;
    b.setAttribute('aria-current', String(j.jobId === current));
    const s = snapshots.get(j.jobId);
    const done = s ? s.snapshot.done : 0;
    b.append(j.jobId);
    const small = document.createElement('small');
    small.textContent = (j.complete || (s && s.snapshot.complete) ? 'complete' : 'running') + ' \u00b7 ' + done + '/' + j.batchCount + ' batches';
    b.append(small);
    b.addEventListener('click', () => { location.hash = 'job=' + encodeURIComponent(j.jobId); });
    return b;
  }));
  $('no-jobs').hidden = jobs.size > 0;
  $('job').hidden = !current || !snapshots.has(current);
  if (current && snapshots.has(current)) renderJob(snapshots.get(current));
}

function renderJob({ snapshot: s }) {
  $('job-title').textContent = s.jobId + (s.complete ? '  \u2014 complete' : '  \u2014 running');
  $('job-meta').textContent = 'source ' + s.spec.sourceId + ' \u00b7 model ' + s.spec.modelId + ' \u00b7 batch size ' + s.spec.batchSize + ' \u00b7 ' + controlLine(s.control);
  for (const k of ['done', 'claimed', 'pending', 'quarantined']) $('n-' + k).textContent = s[k];
  $('n-messages').textContent = s.throughput.messages;
  $('n-rate').textContent = s.throughput.msgsPerSec;
  $('n-reclaims').textContent = s.reclaims;
  $('n-fenced').textContent = s.fencedCommits;
  $('batch-count').textContent = '(' + s.batchCount + ')';
  renderGrid(s);
  renderProcessors(s);
  renderChart(s.throughput);
  renderEvents(s.recentEvents);
}

/** The job's control: its state and live settings, with the version of the last change. */
function controlLine(c) {
  if (!c || c.version < 0) return 'control: ' + (c ? c.state : 'running');
  const settings = Object.keys(c.settings).map((k) => k + '=' + c.settings[k]).join(' ');
  return 'control: ' + c.state.toUpperCase() + ' (v' + c.version + (settings ? ', ' + settings : '') + ')';
}

function renderGrid(s) {
  const grid = $('grid');
  while (grid.children.length < s.grid.length) {
    const cell = document.createElement('div');
    cell.className = 'cell';
    grid.append(cell);
  }
  while (grid.children.length > s.grid.length) grid.lastChild.remove();
  for (let b = 0; b < s.grid.length; b++) {
    const state = STATES[s.grid[b]];
    const cell = grid.children[b];
    if (cell.dataset.state !== state) {
      cell.dataset.state = state;
      cell.title = 'batch ' + b + ': ' + state;
    }
  }
  grid.dataset.job = s.jobId;
  for (const k of ['done', 'claimed', 'pending', 'quarantined']) grid.dataset[k] = s[k];
}

function renderProcessors(s) {
  const rows = [];
  for (const p of s.processors) {
    const claims = p.claims.length ? p.claims : [null];
    for (const c of claims) {
      const tr = document.createElement('tr');
      const cells = [p.processorId, p.host, p.pid, c ? 'batch ' + c.batch + ' (attempt ' + c.attempt + ')' : '\u2013', '', c ? c.status : 'idle'];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 2 || i === 4) td.className = 'num';
        if (i === 4 && c) { td.dataset.ageMs = c.ageMs; td.dataset.takenAt = s.takenAt; td.classList.add('age'); }
        tr.append(td);
      });
      rows.push(tr);
    }
  }
  $('procs').replaceChildren(...rows);
  $('no-procs').hidden = s.processors.length > 0;
  tickAges();
}

function tickAges() {
  for (const td of document.querySelectorAll('td.age')) {
    const ms = Number(td.dataset.ageMs) + Math.max(0, Date.now() - Number(td.dataset.takenAt));
    td.textContent = ms < 10000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms / 1000) + ' s';
  }
}
setInterval(tickAges, 500);

function renderChart(t) {
  const svg = $('chart');
  const NS = 'http://www.w3.org/2000/svg';
  const W = 600, H = 160, PAD = 4;
  const pts = t.series;
  const max = Math.max(1, ...pts.map((p) => p.msgsPerSec));
  const x = (i) => pts.length < 2 ? W / 2 : PAD + (i * (W - 2 * PAD)) / (pts.length - 1);
  const y = (v) => H - PAD - (v * (H - 2 * PAD)) / max;
  const line = pts.map((p, i) => x(i).toFixed(1) + ',' + y(p.msgsPerSec).toFixed(1)).join(' ');
  const area = document.createElementNS(NS, 'polygon');
  area.setAttribute('points', pts.length ? x(0) + ',' + (H - PAD) + ' ' + line + ' ' + x(pts.length - 1) + ',' + (H - PAD) : '');
  area.setAttribute('fill', '#2f9e4433');
  const poly = document.createElementNS(NS, 'polyline');
  poly.setAttribute('points', line);
  poly.setAttribute('fill', 'none');
  poly.setAttribute('stroke', '#2f9e44');
  poly.setAttribute('stroke-width', '2');
  poly.setAttribute('vector-effect', 'non-scaling-stroke');
  const dots = pts.length === 1 ? [document.createElementNS(NS, 'circle')] : [];
  for (const d of dots) { d.setAttribute('cx', x(0)); d.setAttribute('cy', y(pts[0].msgsPerSec)); d.setAttribute('r', '4'); d.setAttribute('fill', '#2f9e44'); }
  svg.replaceChildren(area, poly, ...dots);
  svg.dataset.points = pts.length;
  const span = pts.length * t.bucketMs / 1000;
  $('chart-note').textContent = pts.length ? 'peak ' + max + ' msgs/s \u00b7 ' + span + ' s in buckets of ' + t.bucketMs / 1000 + ' s' : 'no batch committed yet';
}

function renderEvents(events) {
  $('events').replaceChildren(...events.slice().reverse().map((e) => {
    const li = document.createElement('li');
    const when = new Date(e.at).toLocaleTimeString();
    li.textContent = when + ' ' + e.type + ' batch ' + e.batch + ' by ' + e.processorId + (e.otherProcessorId ? ' (from ' + e.otherProcessorId + ')' : '') + (e.detail ? ': ' + e.detail : '');
    return li;
  }));
  $('no-events').hidden = events.length > 0;
}

function connect() {
  const es = new EventSource('events');
  const conn = $('conn');
  es.addEventListener('open', () => { conn.dataset.state = 'live'; conn.textContent = 'live'; });
  es.addEventListener('error', () => { conn.dataset.state = 'down'; conn.textContent = 'reconnecting'; });
  es.addEventListener('jobs', (ev) => {
    const list = JSON.parse(ev.data);
    jobs.clear();
    for (const j of list) jobs.set(j.jobId, j);
    renderJobs();
  });
  es.addEventListener('snapshot', (ev) => {
    const snapshot = JSON.parse(ev.data);
    snapshots.set(snapshot.jobId, { snapshot, receivedAt: Date.now() });
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    if (!jobs.has(snapshot.jobId)) return;
    const listing = jobs.get(snapshot.jobId);
    listing.complete = snapshot.complete;
    listing.batchCount = snapshot.batchCount;
    renderJobs();
  });
}
window.addEventListener('hashchange', renderJobs);
connect();
`;
