// The gateway's browser view: one WebSocket to this same origin, the LogEntry stream decoded
// with logentry.js, a bounded live table of exchanges (a request next to its response, paired by
// the processor's pair id that ?annotate=pair adds to each frame), sorting and view filters, a
// detail pane with whole-payload downloads, pause/resume. All captured data is put in the page
// with textContent only: payloads are attacker-controlled bytes.
import { decodeLogEntry, LogType, EVENT_TYPES, asText, hexDump } from './logentry.js';

const MAX_ROWS = 5000;
const MAX_PAUSED = 20000;
const MAX_LOG_LINES = 500;
const SHOWN_TEXT_CHARS = 1 << 20;    // the detail pane shows this much; Download saves it all
const SHOWN_HEX_BYTES = 64 * 1024;
const HEAD_CHARS = 64 * 1024;        // request/status line and headers are looked for in here
const SERVER_KEYS = ['host', 'pid', 'pname', 'type', 'port', 'container', 'pod', 'namespace',
  'since', 'last', 'token'];
const FORM_KEYS = ['host', 'pid', 'pname', 'type', 'port', 'container', 'pod', 'namespace', 'since'];
// column order of the table; the key of each sortable header (data-sort in index.html)
const COLUMNS = ['time', 'host', 'workload', 'process', 'tuple', 'type', 'method', 'authority',
  'path', 'status', 'latency', 'size'];

const $ = (id) => document.getElementById(id);
const tbody = document.querySelector('#events tbody');
const rows = [];            // exchanges shown, oldest first
const byPair = new Map();   // pair id -> exchange, while its row is shown
let seq = 0;
let sortKey = null;
let sortDir = 1;
let paused = false;
let held = [];              // events received while paused
let heldDropped = 0;
let received = 0;
let lastHeartbeat = null;
let socket = null;
let selected = null;
let pending = [];           // events not yet in the table
let frameRequested = false;
let retryMs = 500;
let replayAsked = false;    // since/last are asked for once: a reconnect must not replay again

function query() {
  return new URLSearchParams(location.search);
}

function socketUrl() {
  const params = new URLSearchParams();
  for (const [k, v] of query()) {
    if (!SERVER_KEYS.includes(k) || v === '') continue;
    if ((k === 'since' || k === 'last') && replayAsked) continue;
    params.append(k, v);
  }
  params.set('annotate', 'host,workload,pair');   // opt-in host id, workload and pair per event (see the module README)
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/?${params}`;
}

function setState(name, text) {
  const el = $('state');
  el.className = 'state ' + name;
  el.textContent = text;
}

function updateCounts() {
  const hb = lastHeartbeat === null ? 'none' : `#${lastHeartbeat.count}`;
  let hidden = 0;
  for (const x of rows) if (x.tr.hidden) hidden++;
  $('counts').textContent =
    `${received} received · ${rows.length - hidden} shown` + (hidden ? ` (${hidden} filtered)` : '') +
    (paused ? ` · ${held.length} held` + (heldDropped ? ` (${heldDropped} dropped)` : '') : '') +
    ` · heartbeat ${hb}`;
}

function connect() {
  setState('connecting', 'connecting');
  socket = new WebSocket(socketUrl());
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => { retryMs = 500; replayAsked = true; setState(paused ? 'paused' : 'open', paused ? 'paused' : 'live'); };
  socket.onclose = (e) => {
    // a refused handshake looks like 1006 to a page: say what usually causes it
    setState('closed', e.code === 1006
      ? 'not connected — retrying (refused? check --allow-origin for this host and ?token=)'
      : `closed (${e.code}) — retrying`);
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  };
  socket.onmessage = (msg) => {
    if (!(msg.data instanceof ArrayBuffer)) return;   // eCaptureQ ignores text, so do we
    let entry;
    try {
      entry = decodeLogEntry(new Uint8Array(msg.data));
    } catch (err) {
      addLog(`[ui] undecodable frame: ${err.message}`);
      return;
    }
    if (entry.logType === LogType.HEARTBEAT && entry.heartbeat) {
      lastHeartbeat = entry.heartbeat;
      updateCounts();
    } else if (entry.logType === LogType.PROCESS_LOG && entry.runLog !== null) {
      addLog(entry.runLog);
    } else if (entry.logType === LogType.EVENT && entry.event) {
      const e = entry.event;
      e.host = entry.host ?? query().get('host') ?? '';
      e.workload = entry.workload ?? null;
      e.pairId = entry.pairId ?? '';
      e.latencyNs = entry.latencyNs ?? 0;
      e.authority = entry.authority ?? '';
      e.text = asText(e.payload);   // once: rows, search and detail use it
      e.head = parseHead(e.text);
      received++;
      if (paused) {
        if (held.length >= MAX_PAUSED) { held.shift(); heldDropped++; }
        held.push(e);
      } else {
        queue(e);
      }
      updateCounts();
    }
  };
}

function addLog(line) {
  const pre = $('log-lines');
  pre.append(line.endsWith('\n') ? line : line + '\n');
  while (pre.childNodes.length > MAX_LOG_LINES) pre.removeChild(pre.firstChild);
  $('log-count').textContent = String(pre.childNodes.length);
}

// Request line ("GET /p HTTP/1.1", "GET /p HTTP/2"), status line ("HTTP/1.1 200 OK", "HTTP/2 200")
// and the Host header, from the start of a text payload.
function parseHead(text) {
  const head = { method: '', path: '', status: 0, hostHeader: '', firstLine: '' };
  if (text === null) return head;
  const lines = text.slice(0, HEAD_CHARS).split(/\r?\n/);
  head.firstLine = lines[0];
  let m = /^([A-Z]+) (\S+) HTTP\/[0-9.]+$/.exec(lines[0]);
  if (m) {
    head.method = m[1];
    head.path = m[2];
  } else if ((m = /^HTTP\/[0-9.]+ ([0-9]{3})\b/.exec(lines[0]))) {
    head.status = Number(m[1]);
  }
  for (let i = 1; i < lines.length && lines[i] !== ''; i++) {
    const h = /^host:\s*(.*)$/i.exec(lines[i]);
    if (h) { head.hostHeader = h[1].trim(); break; }
  }
  return head;
}

const isRequest = (e) => e.type === 1 || e.type === 2;
const isResponse = (e) => e.type === 3 || e.type === 4;

function queue(e) {
  pending.push(e);
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(flush);
  }
}

// Events join the table once per animation frame: a burst of events costs one layout. A response
// fills the row of its request (same pair id); anything else starts a row.
function flush() {
  frameRequested = false;
  const fragment = document.createDocumentFragment();
  const changed = new Set();
  for (const e of pending) {
    let x = e.pairId ? byPair.get(e.pairId) : undefined;
    if (x && isResponse(e) && e.head.status >= 100 && e.head.status < 200 && x.response === null) {
      x.interim = e;                 // 1xx: the final response still follows
    } else if (x && isResponse(e) && x.response === null) {
      x.response = e;
    } else if (x && isRequest(e) && x.request === null) {
      x.request = e;
    } else {
      x = { seq: seq++, pairId: e.pairId, request: null, response: null, interim: null, other: null, tr: null };
      if (isRequest(e)) x.request = e;
      else if (isResponse(e)) x.response = e;
      else x.other = e;
      if (x.pairId) byPair.set(x.pairId, x);
      x.tr = document.createElement('tr');
      x.tr.addEventListener('click', () => show(x));
      rows.push(x);
      fragment.append(x.tr);
    }
    changed.add(x);
  }
  pending = [];
  tbody.append(fragment);
  for (const x of changed) {
    render(x);
    x.tr.hidden = !visible(x);
    if (x.tr === selected) show(x);
  }
  while (rows.length > MAX_ROWS) {
    const old = rows.shift();
    if (old.pairId && byPair.get(old.pairId) === old) byPair.delete(old.pairId);
    old.tr.remove();
  }
  if (sortKey && changed.size) applySort();
  updateCounts();
}

function events(x) {
  return [x.request, x.response, x.other].filter((e) => e !== null);
}

function first(x) {
  return x.request ?? x.response ?? x.other;
}

// The sortable and filterable values of an exchange.
function values(x) {
  const e = first(x);
  const req = x.request;
  const resp = x.response;
  const size = events(x).reduce((n, ev) => n + ev.payload.length, 0);
  let type = EVENT_TYPES[e.type] ?? `type ${e.type}`;
  if (req && resp) type = e.type === 1 || e.type === 3 ? 'HTTP/1' : 'HTTP/2';
  return {
    time: e.timestampNs,
    host: e.host,
    workload: workloadText(e.workload),
    process: `${e.pname} (${e.pid})`,
    tuple: tuple(e),
    type,
    method: req ? req.head.method : '',
    authority: (req && (req.authority || req.head.hostHeader)) || (resp && resp.authority) || '',
    path: req ? req.head.path : summary(e),
    status: resp ? resp.head.status : null,
    latency: resp && resp.latencyNs > 0 ? resp.latencyNs : null,
    size,
  };
}

function render(x) {
  const v = values(x);
  x.values = v;
  const e = first(x);
  x.tr.className = 't' + e.type + (v.status >= 400 ? ' error' : '');
  const cells = [
    formatTime(v.time), v.host, v.workload, v.process, v.tuple, v.type, v.method, v.authority,
    v.path, v.status !== null ? String(v.status) : (x.request && !x.response ? '…' : ''),
    v.latency !== null ? formatLatency(v.latency) : '', formatSize(v.size),
  ];
  if (x.tr.children.length !== cells.length) {
    x.tr.replaceChildren(...cells.map(() => document.createElement('td')));
  }
  cells.forEach((text, i) => {
    const td = x.tr.children[i];
    td.textContent = text;
    td.className = ['status', 'latency', 'size'].includes(COLUMNS[i]) ? 'num ' + COLUMNS[i] : COLUMNS[i];
    if (['tuple', 'authority', 'path'].includes(COLUMNS[i])) td.title = text;   // cut with an ellipsis
  });
  if (e.workload) x.tr.children[2].title = workloadTitle(e.workload);
}

function workloadText(w) {
  if (!w) return '';
  if (w.podName) return `${w.podNamespace ? w.podNamespace + '/' : ''}${w.podName}${w.containerName ? '/' + w.containerName : ''}`;
  if (w.containerName) return w.containerName;
  return w.containerId ? w.containerId.slice(0, 12) : '';
}

function workloadTitle(w) {
  return [w.podNamespace && `namespace ${w.podNamespace}`, w.podName && `pod ${w.podName}`,
    w.containerName && `container ${w.containerName}`, w.containerId && `id ${w.containerId}`,
    w.cgroupPath && `cgroup ${w.cgroupPath}`].filter(Boolean).join('\n');
}

function formatTime(ns) {
  if (!ns) return '';
  const ms = Math.floor(ns / 1e6);
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(ms % 1000).padStart(3, '0');
}

function formatLatency(ns) {
  const ms = ns / 1e6;
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function tuple(e) {
  const side = (ip, port) => (ip.includes(':') ? `[${ip}]` : ip) + ':' + port;
  return `${side(e.srcIp, e.srcPort)} → ${side(e.dstIp, e.dstPort)}`;
}

// The first line of a text payload, else a hint that it is binary.
function summary(e) {
  if (e.text === null) return '(binary)';
  const line = e.head.firstLine;
  return line.length > 120 ? line.slice(0, 120) + '…' : line;
}

function show(x) {
  if (selected) selected.classList.remove('selected');
  selected = x.tr;
  x.tr.classList.add('selected');
  const e = first(x);
  const v = x.values ?? values(x);
  const lines = [
    `${formatTime(v.time)}  ${v.type}${v.status !== null ? '  status ' + v.status : ''}` +
      `${v.latency !== null ? '  latency ' + formatLatency(v.latency) : ''}`,
    `host ${e.host || '?'}  process ${e.pname} (${e.pid})` + (v.workload ? `  workload ${v.workload}` : ''),
    v.tuple,
    e.uuid + (x.pairId ? `\npair ${x.pairId}` : ''),
  ];
  $('detail-meta').textContent = lines.join('\n');
  const parts = [];
  for (const [label, ev] of [['request', x.request], ['response', x.response], ['data', x.other]]) {
    if (ev !== null) parts.push(part(label, ev, x));
  }
  $('detail-body').replaceChildren(...parts);
}

// One payload in the detail pane: a heading with its size and a Download button (a Blob of the
// whole payload), then its text (or hex dump for binary payloads), shown up to a bound.
function part(label, e, x) {
  const section = document.createElement('section');
  section.className = 'part ' + label;
  const heading = document.createElement('div');
  heading.className = 'part-head';
  const title = document.createElement('span');
  title.textContent = `${label} · ${EVENT_TYPES[e.type] ?? e.type} · ${e.payload.length} bytes` +
    (e.text === null ? ' (binary, hex)' : '');
  const download = document.createElement('button');
  download.type = 'button';
  download.className = 'download';
  download.textContent = 'Download';
  download.addEventListener('click', (ev) => {
    ev.stopPropagation();
    save(e, `ecapture-${e.pid}-${x.seq}-${label}.${e.text === null ? 'bin' : 'txt'}`);
  });
  heading.append(title, download);
  const pre = document.createElement('pre');
  if (e.text === null) {
    pre.textContent = hexDump(e.payload, SHOWN_HEX_BYTES);
  } else if (e.text.length > SHOWN_TEXT_CHARS) {
    pre.textContent = e.text.slice(0, SHOWN_TEXT_CHARS) +
      `\n[… ${e.text.length - SHOWN_TEXT_CHARS} more characters: Download saves the whole payload]`;
  } else {
    pre.textContent = e.text;
  }
  section.append(heading, pre);
  return section;
}

function save(e, name) {
  const url = URL.createObjectURL(new Blob([e.payload], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// --- view filters (client side: the page's own rows) and sorting ---

// "2xx", "404", "4xx,5xx", ">=400", "<300", "pending": any token may match.
function statusMatcher(text) {
  const tokens = text.split(/[\s,]+/).filter(Boolean);
  if (tokens.length === 0) return null;
  const tests = tokens.map((t) => {
    let m;
    if (t === 'pending') return (s) => s === null;
    if ((m = /^([1-5])xx$/i.exec(t))) return (s) => s !== null && Math.floor(s / 100) === Number(m[1]);
    if ((m = /^(>=|<=|>|<)([0-9]{3})$/.exec(t))) {
      const n = Number(m[2]);
      return { '>=': (s) => s !== null && s >= n, '<=': (s) => s !== null && s <= n,
        '>': (s) => s !== null && s > n, '<': (s) => s !== null && s < n }[m[1]];
    }
    if (/^[0-9]{3}$/.test(t)) return (s) => s === Number(t);
    return () => false;
  });
  return (s) => tests.some((f) => f(s));
}

function visible(x) {
  const v = x.values ?? values(x);
  const needle = $('search').value;
  if (needle && !events(x).some((e) => (e.text !== null && e.text.includes(needle))
      || e.pname.includes(needle) || e.host.includes(needle))) return false;
  const status = statusMatcher($('f-status').value);
  if (status && !status(v.status)) return false;
  const minMs = parseFloat($('f-latency').value);
  if (!Number.isNaN(minMs) && (v.latency === null || v.latency / 1e6 < minMs)) return false;
  const workload = $('f-workload').value.trim();
  if (workload) {
    const w = first(x).workload;
    const fields = w ? [w.podName, w.podNamespace, w.containerName, w.containerId, v.workload] : [];
    if (!fields.some((f) => f && f.includes(workload))) return false;
  }
  const host = $('f-host').value.trim();
  if (host && !v.host.includes(host) && !v.authority.includes(host)) return false;
  return true;
}

function applyFilters() {
  for (const x of rows) x.tr.hidden = !visible(x);
  updateCounts();
}

function compare(a, b) {
  const va = a.values[sortKey];
  const vb = b.values[sortKey];
  const missingA = va === null || va === '' || va === undefined;
  const missingB = vb === null || vb === '' || vb === undefined;
  if (missingA || missingB) return missingA === missingB ? a.seq - b.seq : missingA ? 1 : -1;  // empty last
  const c = typeof va === 'number' ? va - vb : String(va).localeCompare(String(vb));
  return c !== 0 ? c * sortDir : a.seq - b.seq;
}

function applySort() {
  const ordered = sortKey ? [...rows].sort(compare) : rows;
  tbody.append(...ordered.map((x) => x.tr));   // moves the rows, no re-render
  document.querySelectorAll('#events th[data-sort]').forEach((th) => {
    th.classList.toggle('sorted', th.dataset.sort === sortKey);
    th.dataset.dir = th.dataset.sort === sortKey ? (sortDir > 0 ? 'asc' : 'desc') : '';
  });
}

function sortBy(key) {
  if (sortKey === key) {
    sortDir = -sortDir;
  } else {
    sortKey = key;
    sortDir = key === 'latency' || key === 'size' || key === 'time' ? -1 : 1;   // largest first
  }
  applySort();
}

function togglePause() {
  paused = !paused;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  if (!paused) {
    for (const e of held) queue(e);
    held = [];
    heldDropped = 0;
  }
  if (socket && socket.readyState === WebSocket.OPEN) setState(paused ? 'paused' : 'open', paused ? 'paused' : 'live');
  updateCounts();
}

function clearRows() {
  rows.length = 0;
  byPair.clear();
  tbody.replaceChildren();
  selected = null;
  updateCounts();
}

function fillFilterForm() {
  const form = $('filters');
  for (const [k, v] of query()) if (form.elements[k]) form.elements[k].value = v;
}

// Server-side filters live in the page URL (shareable); applying them reconnects.
function applyServerFilters(ev) {
  ev.preventDefault();
  const params = query();
  for (const key of FORM_KEYS) {
    const value = $('filters').elements[key].value.trim();
    if (value) params.set(key, value); else params.delete(key);
  }
  history.replaceState(null, '', `${location.pathname}?${params}`);
  clearRows();
  replayAsked = false;
  if (socket) {
    socket.onclose = null;
    socket.close();
  }
  connect();
}

$('pause').addEventListener('click', togglePause);
$('clear').addEventListener('click', clearRows);
$('filters').addEventListener('submit', applyServerFilters);
for (const id of ['search', 'f-status', 'f-latency', 'f-workload', 'f-host']) {
  $(id).addEventListener('input', applyFilters);
}
document.querySelectorAll('#events th[data-sort]').forEach((th) => {
  th.addEventListener('click', () => sortBy(th.dataset.sort));
});
fillFilterForm();
updateCounts();
connect();
