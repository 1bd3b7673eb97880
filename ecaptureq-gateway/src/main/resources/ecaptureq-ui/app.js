// The gateway's browser view: one WebSocket to this same origin, the LogEntry stream decoded
// with logentry.js, a bounded live table, a detail pane, pause/resume. All captured data is put
// in the page with textContent only: payloads are attacker-controlled bytes.
import { decodeLogEntry, LogType, EVENT_TYPES, asText, hexDump } from './logentry.js';

const MAX_ROWS = 5000;
const MAX_PAUSED = 20000;
const MAX_LOG_LINES = 500;
const SERVER_KEYS = ['host', 'pid', 'pname', 'type', 'port', 'since', 'last', 'token'];

const $ = (id) => document.getElementById(id);
const tbody = document.querySelector('#events tbody');
const events = [];          // decoded events shown, oldest first, parallel to tbody rows
let paused = false;
let held = [];              // events received while paused
let heldDropped = 0;
let received = 0;
let lastHeartbeat = null;
let socket = null;
let selected = null;
let pendingRows = [];
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
  params.set('annotate', 'host');   // opt-in host id per event (see the module README)
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
  $('counts').textContent =
    `${received} received · ${events.length} shown` +
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
      entry.event.host = entry.host ?? query().get('host') ?? '';
      entry.event.text = asText(entry.event.payload);   // once: rows, search and detail use it
      received++;
      if (paused) {
        if (held.length >= MAX_PAUSED) { held.shift(); heldDropped++; }
        held.push(entry.event);
      } else {
        queueRow(entry.event);
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

function queueRow(e) {
  pendingRows.push(e);
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(flushRows);
  }
}

// Rows are added once per animation frame: a burst of events costs one layout, not thousands.
function flushRows() {
  frameRequested = false;
  const fragment = document.createDocumentFragment();
  const needle = $('search').value;
  for (const e of pendingRows) {
    events.push(e);
    const row = rowFor(e);
    if (needle && !matches(e, needle)) row.hidden = true;
    fragment.append(row);
  }
  pendingRows = [];
  tbody.append(fragment);
  while (events.length > MAX_ROWS) {
    events.shift();
    tbody.removeChild(tbody.firstChild);
  }
  updateCounts();
}

function formatTime(ns) {
  if (!ns) return '';
  const ms = Math.floor(ns / 1e6);
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(ms % 1000).padStart(3, '0');
}

function tuple(e) {
  const side = (ip, port) => (ip.includes(':') ? `[${ip}]` : ip) + ':' + port;
  return `${side(e.srcIp, e.srcPort)} → ${side(e.dstIp, e.dstPort)}`;
}

function rowFor(e) {
  const tr = document.createElement('tr');
  tr.className = 't' + e.type;
  const cells = [
    formatTime(e.timestampNs), e.host, `${e.pname} (${e.pid})`, tuple(e),
    EVENT_TYPES[e.type] ?? `type ${e.type}`, String(e.payload.length), summary(e),
  ];
  cells.forEach((text, i) => {
    const td = document.createElement('td');
    if (i === 5) td.className = 'num';
    td.textContent = text;
    tr.append(td);
  });
  tr.addEventListener('click', () => show(e, tr));
  return tr;
}

// The first line of a text payload (request or status line), else a hint that it is binary.
function summary(e) {
  if (e.text === null) return '(binary)';
  const line = e.text.slice(0, 512).split(/\r?\n/, 1)[0];
  return line.length > 120 ? line.slice(0, 120) + '…' : line;
}

function show(e, tr) {
  if (selected) selected.classList.remove('selected');
  selected = tr;
  tr.classList.add('selected');
  const text = e.text;
  $('detail-meta').textContent =
    `${formatTime(e.timestampNs)}  ${EVENT_TYPES[e.type] ?? e.type}  ${e.payload.length} bytes` +
    `${text === null ? ' (binary, hex)' : ''}\n` +
    `host ${e.host || '?'}  process ${e.pname} (${e.pid})\n${tuple(e)}\n${e.uuid}`;
  $('detail-body').textContent = text ?? hexDump(e.payload);
}

function matches(e, needle) {
  return (e.text !== null && e.text.includes(needle)) || e.pname.includes(needle) || e.host.includes(needle);
}

function applySearch() {
  const needle = $('search').value;
  const rows = tbody.children;
  for (let i = 0; i < rows.length; i++) rows[i].hidden = needle !== '' && !matches(events[i], needle);
}

function togglePause() {
  paused = !paused;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  if (!paused) {
    for (const e of held) queueRow(e);
    held = [];
    heldDropped = 0;
  }
  if (socket && socket.readyState === WebSocket.OPEN) setState(paused ? 'paused' : 'open', paused ? 'paused' : 'live');
  updateCounts();
}

function fillFilterForm() {
  const form = $('filters');
  for (const [k, v] of query()) if (form.elements[k]) form.elements[k].value = v;
}

// Server-side filters live in the page URL (shareable); applying them reconnects.
function applyFilters(ev) {
  ev.preventDefault();
  const params = query();
  for (const key of ['host', 'pid', 'pname', 'type', 'port', 'since']) {
    const value = $('filters').elements[key].value.trim();
    if (value) params.set(key, value); else params.delete(key);
  }
  history.replaceState(null, '', `${location.pathname}?${params}`);
  events.length = 0;
  tbody.replaceChildren();
  replayAsked = false;
  if (socket) {
    socket.onclose = null;
    socket.close();
  }
  connect();
}

$('pause').addEventListener('click', togglePause);
$('clear').addEventListener('click', () => { events.length = 0; tbody.replaceChildren(); updateCounts(); });
$('filters').addEventListener('submit', applyFilters);
$('search').addEventListener('input', applySearch);
fillFilterForm();
updateCounts();
connect();
