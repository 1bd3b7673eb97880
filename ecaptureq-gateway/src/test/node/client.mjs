// An eCaptureQ-style reader built on a different stack than the gateway (Node's ws +
// protobufjs), decoding with the project's ecaptureq.proto (path in $ECAPTUREQ_PROTO, set by
// NodeScripts.java), the schema whose field numbers and types are eCapture's.
// Prints one JSON line per frame received, then {"done":...}; exit code 0 when the expected
// frames arrived, 1 on timeout or a protocol violation.
//
// usage: ECAPTUREQ_PROTO=/path/ecaptureq.proto node client.mjs URL EVENTS HEARTBEATS TIMEOUT_MS [ORIGIN]
//   waits until EVENTS events and HEARTBEATS heartbeats were received.
import WebSocket from 'ws';
import { loadSchema } from './schema.mjs';

const [url, wantEvents, wantHeartbeats, timeoutMs, origin] = process.argv.slice(2);
const LogEntry = loadSchema().lookupType('ecaptureq.LogEntry');
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

let events = 0;
let heartbeats = 0;
let finished = false;
const finish = (ok, why) => {
  if (finished) return;
  finished = true;
  out({ done: ok, why, events, heartbeats });
  socket.terminate();
  process.exit(ok ? 0 : 1);
};

const socket = new WebSocket(url, origin ? { origin } : {});
setTimeout(() => finish(false, 'timeout'), Number(timeoutMs));
socket.on('open', () => out({ open: true, extensions: socket.extensions }));
socket.on('error', (err) => finish(false, 'error: ' + err.message));
socket.on('unexpected-response', (req, res) => finish(false, 'handshake refused: HTTP ' + res.statusCode));
socket.on('close', (code) => finish(false, 'closed by the gateway: ' + code));
socket.on('message', (data, isBinary) => {
  if (!isBinary) return finish(false, 'text frame');
  let entry;
  try {
    entry = LogEntry.toObject(LogEntry.decode(data), { longs: String, bytes: String, enums: String, oneofs: true });
  } catch (err) {
    return finish(false, 'undecodable frame: ' + err.message);
  }
  if (entry.logType === 'HEARTBEAT' || entry.logType === undefined) {
    const hb = entry.heartbeatPayload ?? {};
    heartbeats++;
    out({ heartbeat: Number(hb.count ?? 0), timestamp: Number(hb.timestamp ?? 0), message: hb.message ?? '' });
  } else if (entry.logType === 'PROCESS_LOG') {
    out({ log: entry.runLog ?? '' });
  } else if (entry.logType === 'EVENT') {
    const e = entry.eventPayload;
    events++;
    out({
      event: Buffer.from(e.payload ?? '', 'base64').toString('utf8'),
      pid: Number(e.pid ?? 0), pname: e.pname ?? '', type: e.type ?? 0, length: e.length ?? 0,
      src: `${e.srcIp}:${e.srcPort}`, dst: `${e.dstIp}:${e.dstPort}`, timestamp: String(e.timestamp ?? '0'),
      uuid: e.uuid ?? '',
    });
  } else {
    return finish(false, 'unknown log type ' + entry.logType);
  }
  if (events >= Number(wantEvents) && heartbeats >= Number(wantHeartbeats)) finish(true, 'complete');
});
