/**
 * The status page: one self-contained HTML document (inline CSS, script and
 * SVG; nothing fetched from anywhere but its own server's /events stream).
 * Everything shown comes from server-sent JobSnapshots and is written with
 * textContent, never as HTML, so a job's source id cannot inject markup.
 */
import { PAGE_SCRIPT } from './page-script.js';

const STYLE = `
:root { --pending:#d0d4da; --claimed:#f0b429; --done:#2f9e44; --quarantined:#d9480f; --ink:#1d2330; --muted:#5c667a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7f9; }
header { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #1d2330; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
#conn { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #5c667a; }
#conn[data-state="live"] { background: var(--done); }
#conn[data-state="down"] { background: var(--quarantined); }
#updated { font-size: 12px; color: #c3c8d2; margin-left: auto; }
nav { display: flex; flex-wrap: wrap; gap: 8px; padding: 12px 20px 0; }
nav button { font: inherit; border: 1px solid #c3c8d2; background: #fff; border-radius: 6px; padding: 6px 10px; cursor: pointer; text-align: left; }
nav button[aria-current="true"] { border-color: var(--ink); box-shadow: inset 0 -3px 0 var(--ink); }
nav button small { display: block; color: var(--muted); font-size: 11px; }
main { padding: 12px 20px 24px; display: grid; gap: 14px; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 12px 14px; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
#job-title { font-size: 18px; font-weight: 600; word-break: break-all; }
#job-meta { color: var(--muted); font-size: 12px; word-break: break-all; }
.figures { display: flex; flex-wrap: wrap; gap: 18px; margin-top: 8px; }
.figure b { display: block; font-size: 20px; }
.figure span { color: var(--muted); font-size: 12px; }
#grid { display: grid; grid-template-columns: repeat(auto-fill, 14px); gap: 2px; }
.cell { width: 14px; height: 14px; border-radius: 2px; background: var(--pending); }
.cell[data-state="claimed"] { background: var(--claimed); }
.cell[data-state="done"] { background: var(--done); }
.cell[data-state="quarantined"] { background: var(--quarantined); }
.legend { display: flex; gap: 14px; margin-top: 8px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eef0f3; }
th { color: var(--muted); font-weight: 500; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
#chart { width: 100%; height: 160px; }
#events { margin: 0; padding-left: 18px; font-size: 12px; }
.empty { color: var(--muted); font-style: italic; }
[hidden] { display: none !important; }
`;

export function renderPage(root: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spamzk status</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>spamzk status</h1><span id="conn" data-state="connecting">connecting</span><span id="updated"></span></header>
<nav id="jobs" aria-label="jobs"></nav>
<p id="no-jobs" class="empty" style="padding: 0 20px">No job under <code id="root"></code> yet; this page shows one as soon as it is planned.</p>
<main id="job" hidden>
  <section class="wide">
    <div id="job-title"></div>
    <div id="job-meta"></div>
    <div class="figures">
      <div class="figure"><b id="n-done">0</b><span>done</span></div>
      <div class="figure"><b id="n-claimed">0</b><span>claimed</span></div>
      <div class="figure"><b id="n-pending">0</b><span>pending</span></div>
      <div class="figure"><b id="n-quarantined">0</b><span>quarantined</span></div>
      <div class="figure"><b id="n-messages">0</b><span>messages committed</span></div>
      <div class="figure"><b id="n-rate">0</b><span>msgs/s overall</span></div>
      <div class="figure"><b id="n-reclaims">0</b><span>reclaims</span></div>
      <div class="figure"><b id="n-fenced">0</b><span>fenced commits</span></div>
    </div>
  </section>
  <section class="wide">
    <h2>Batches <span id="batch-count"></span></h2>
    <div id="grid" role="img" aria-label="batch grid"></div>
    <div class="legend"><span><i style="background:var(--pending)"></i>pending</span><span><i style="background:var(--claimed)"></i>claimed</span><span><i style="background:var(--done)"></i>done</span><span><i style="background:var(--quarantined)"></i>quarantined</span></div>
  </section>
  <section>
    <h2>Live processors</h2>
    <table><thead><tr><th>processor</th><th>host</th><th class="num">pid</th><th>claim</th><th class="num">claim age</th><th>status</th></tr></thead><tbody id="procs"></tbody></table>
    <p id="no-procs" class="empty">no live processors</p>
  </section>
  <section>
    <h2>Throughput (msgs/s)</h2>
    <svg id="chart" viewBox="0 0 600 160" preserveAspectRatio="none" aria-label="throughput over time"></svg>
    <div id="chart-note" class="legend"></div>
  </section>
  <section class="wide">
    <h2>Reclaims and fenced commits</h2>
    <ul id="events"></ul>
    <p id="no-events" class="empty">none</p>
  </section>
</main>
<script>const ROOT = ${JSON.stringify(root).replace(/</g, '\\u003c')};
${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
