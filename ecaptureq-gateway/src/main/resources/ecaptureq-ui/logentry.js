// A small protobuf reader for eCaptureQ's LogEntry (ecaptureq.proto) and the gateway's opt-in
// annotations: the host id (LogEntry field 15), the workload (field 16, a serialized
// ecapturekafka.capture.Workload of capture.proto) and the pair (17 pair id, 18 latency ns,
// 19 HTTP authority). Hand-written so the page needs no build step
// and no vendored library. Unknown fields are skipped, as every protobuf reader must.

const utf8 = new TextDecoder('utf-8', { fatal: false });

export const LogType = Object.freeze({ HEARTBEAT: 0, PROCESS_LOG: 1, EVENT: 2 });

export const EVENT_TYPES = Object.freeze([
  'unknown', 'HTTP/1 request', 'HTTP/2 request', 'HTTP/1 response', 'HTTP/2 response', 'WebSocket',
]);

class Reader {
  constructor(bytes, start = 0, end = bytes.length) {
    this.b = bytes;
    this.pos = start;
    this.end = end;
  }

  done() {
    return this.pos >= this.end;
  }

  // Varints up to 64 bits; exact as a Number below 2^53 (timestamps in ns lose only sub-us).
  varint() {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const byte = this.b[this.pos++];
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  bytes() {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('length-delimited field past the end');
    const out = this.b.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wireType) {
    switch (wireType) {
      case 0: this.varint(); break;
      case 1: this.pos += 8; break;
      case 2: this.bytes(); break;
      case 5: this.pos += 4; break;
      default: throw new Error('unsupported wire type ' + wireType);
    }
    if (this.pos > this.end) throw new Error('field past the end');
  }

  // Calls onField(fieldNumber, wireType) for every field; onField returns false to skip it.
  fields(onField) {
    while (!this.done()) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wireType = key % 8;
      if (!onField(field, wireType)) this.skip(wireType);
    }
  }
}

function decodeEvent(bytes) {
  const e = {
    timestampNs: 0, uuid: '', srcIp: '', srcPort: 0, dstIp: '', dstPort: 0,
    pid: 0, pname: '', type: 0, length: 0, payload: new Uint8Array(0),
  };
  const r = new Reader(bytes);
  r.fields((f, w) => {
    if (w === 0) {
      const v = r.varint();
      if (f === 1) e.timestampNs = v;
      else if (f === 4) e.srcPort = v;
      else if (f === 6) e.dstPort = v;
      else if (f === 7) e.pid = v;
      else if (f === 9) e.type = v;
      else if (f === 10) e.length = v;
      return true;
    }
    if (w === 2) {
      const v = r.bytes();
      if (f === 2) e.uuid = utf8.decode(v);
      else if (f === 3) e.srcIp = utf8.decode(v);
      else if (f === 5) e.dstIp = utf8.decode(v);
      else if (f === 8) e.pname = utf8.decode(v);
      else if (f === 11) e.payload = v.slice();
      return true;
    }
    return false;
  });
  return e;
}

function decodeHeartbeat(bytes) {
  const h = { timestamp: 0, count: 0, message: '' };
  const r = new Reader(bytes);
  r.fields((f, w) => {
    if (w === 0 && (f === 1 || f === 2)) {
      const v = r.varint();
      if (f === 1) h.timestamp = v; else h.count = v;
      return true;
    }
    if (w === 2 && f === 3) {
      h.message = utf8.decode(r.bytes());
      return true;
    }
    return false;
  });
  return h;
}

// capture.proto Workload: 1 cgroup_id (uint64, not kept), 2 cgroup_path, 3 container_id,
// 4 pod_uid, 5 pod_name, 6 pod_namespace, 7 container_name; "" when unknown.
const WORKLOAD_FIELDS = Object.freeze({
  2: 'cgroupPath', 3: 'containerId', 4: 'podUid', 5: 'podName', 6: 'podNamespace', 7: 'containerName',
});

function decodeWorkload(bytes) {
  const w = { cgroupPath: '', containerId: '', podUid: '', podName: '', podNamespace: '', containerName: '' };
  const r = new Reader(bytes);
  r.fields((f, wireType) => {
    if (wireType === 2 && WORKLOAD_FIELDS[f]) {
      w[WORKLOAD_FIELDS[f]] = utf8.decode(r.bytes());
      return true;
    }
    return false;
  });
  return w;
}

// Decodes one WebSocket binary message. Throws on bytes that are not a LogEntry. host, workload,
// pairId, latencyNs and authority are null unless the gateway annotated the frame
// (?annotate=host,workload,pair) and the message has them.
export function decodeLogEntry(bytes) {
  const entry = { logType: 0, event: null, heartbeat: null, runLog: null, host: null, workload: null,
    pairId: null, latencyNs: null, authority: null };
  const r = new Reader(bytes);
  r.fields((f, w) => {
    if (f === 1 && w === 0) { entry.logType = r.varint(); return true; }
    if (f === 18 && w === 0) { entry.latencyNs = r.varint(); return true; }   // annotate=pair
    if (w !== 2) return false;
    if (f === 2) { entry.event = decodeEvent(r.bytes()); return true; }
    if (f === 3) { entry.heartbeat = decodeHeartbeat(r.bytes()); return true; }
    if (f === 4) { entry.runLog = utf8.decode(r.bytes()); return true; }
    if (f === 15) { entry.host = utf8.decode(r.bytes()); return true; }
    if (f === 16) { entry.workload = decodeWorkload(r.bytes()); return true; }
    if (f === 17) { entry.pairId = utf8.decode(r.bytes()); return true; }      // annotate=pair
    if (f === 19) { entry.authority = utf8.decode(r.bytes()); return true; }   // annotate=pair
    return false;
  });
  return entry;
}

// Text when the payload is valid UTF-8 without binary control bytes, else null.
export function asText(payload) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return null;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return null;
  }
  return text;
}

// Classic 16-bytes-per-line hex dump with an ASCII column.
export function hexDump(payload, maxBytes = 64 * 1024) {
  const n = Math.min(payload.length, maxBytes);
  const lines = [];
  for (let off = 0; off < n; off += 16) {
    let hex = '';
    let ascii = '';
    for (let i = off; i < off + 16; i++) {
      if (i < n) {
        const b = payload[i];
        hex += b.toString(16).padStart(2, '0') + ' ';
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else {
        hex += '   ';
      }
    }
    lines.push(off.toString(16).padStart(8, '0') + '  ' + hex + ' ' + ascii);
  }
  if (payload.length > n) lines.push(`... ${payload.length - n} more bytes`);
  return lines.join('\n');
}
