// Checks the browser view's hand-written decoder (src/main/resources/ecaptureq-ui/logentry.js)
// against protobufjs encodings of the reference schema: every field, 64-bit timestamps, unknown
// fields, the host annotation, binary payloads, truncated input. Prints "ok N" or the failure.
import protobuf from 'protobufjs';
import assert from 'node:assert/strict';
import { decodeLogEntry, asText, hexDump } from '../../main/resources/ecaptureq-ui/logentry.js';

const root = protobuf.parse(`
syntax = "proto3";
message Event {
  int64 timestamp = 1; string uuid = 2; string src_ip = 3; uint32 src_port = 4;
  string dst_ip = 5; uint32 dst_port = 6; int64 pid = 7; string pname = 8;
  uint32 type = 9; uint32 length = 10; bytes payload = 11;
}
message Heartbeat { int64 timestamp = 1; int64 count = 2; string message = 3; }
message LogEntry {
  int32 log_type = 1;
  oneof payload { Event event_payload = 2; Heartbeat heartbeat_payload = 3; string run_log = 4; }
  string host = 15;          // the gateway's opt-in annotation
  fixed64 future_a = 20;     // fields a later eCapture might add: must be skipped
  fixed32 future_b = 21;
  uint64 future_c = 22;
}`).root;
const LogEntry = root.lookupType('LogEntry');
const enc = (obj) => LogEntry.encode(LogEntry.fromObject(obj)).finish();
let checks = 0;

const ts = '1763000000123456789';
const event = decodeLogEntry(enc({
  logType: 2, host: 'web-1', futureA: '5', futureB: 7, futureC: '18446744073709551615',
  eventPayload: {
    timestamp: ts, uuid: 'u', srcIp: '10.0.0.1', srcPort: 50000, dstIp: '::1', dstPort: 443,
    pid: 2147483647, pname: 'curl', type: 4, length: 3, payload: Buffer.from([0xff, 0x00, 0x41]),
  },
}));
assert.equal(event.logType, 2); checks++;
assert.equal(event.host, 'web-1'); checks++;
const e = event.event;
assert.ok(Math.abs(e.timestampNs - Number(ts)) < 1000, 'ns timestamp within a microsecond'); checks++;
assert.deepEqual([e.uuid, e.srcIp, e.srcPort, e.dstIp, e.dstPort, e.pid, e.pname, e.type, e.length],
  ['u', '10.0.0.1', 50000, '::1', 443, 2147483647, 'curl', 4, 3]); checks++;
assert.deepEqual([...e.payload], [0xff, 0x00, 0x41]); checks++;
assert.equal(asText(e.payload), null, 'binary payload is not text'); checks++;
assert.match(hexDump(e.payload), /^00000000  ff 00 41 .*\.\.A$/); checks++;

const hb = decodeLogEntry(enc({ heartbeatPayload: { timestamp: '1763000000', count: '12', message: 'heartbeat:12' } }));
assert.equal(hb.logType, 0, 'HEARTBEAT is the default (absent) log type'); checks++;
assert.deepEqual(hb.heartbeat, { timestamp: 1763000000, count: 12, message: 'heartbeat:12' }); checks++;

const log = decodeLogEntry(enc({ logType: 1, runLog: 'grüße \u{1F600}' }));
assert.equal(log.runLog, 'grüße \u{1F600}'); checks++;
assert.equal(log.host, null); checks++;

assert.equal(asText(Buffer.from('GET / HTTP/1.1\r\n\tx')), 'GET / HTTP/1.1\r\n\tx'); checks++;
assert.throws(() => decodeLogEntry(enc({ logType: 1, runLog: 'cut' }).subarray(0, 4)), /past the end/); checks++;
assert.throws(() => decodeLogEntry(Uint8Array.from([0x08, 0xff])), /truncated varint/); checks++;

console.log('ok ' + checks);
