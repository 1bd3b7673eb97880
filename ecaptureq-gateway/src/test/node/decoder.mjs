// Checks the browser view's hand-written decoder (src/main/resources/ecaptureq-ui/logentry.js)
// against protobufjs encodings of the project's ecaptureq.proto (path in $ECAPTUREQ_PROTO, set by
// NodeScripts.java): every field, 64-bit timestamps, unknown fields, the host annotation, binary
// payloads, truncated input. Prints "ok N" or the failure.
import protobuf from 'protobufjs';
import assert from 'node:assert/strict';
import { decodeLogEntry, asText, hexDump } from '../../main/resources/ecaptureq-ui/logentry.js';
import { loadSchema } from './schema.mjs';

const LogEntry = loadSchema().lookupType('ecaptureq.LogEntry');
// fields the reference schema lacks, added here to encode what the decoder must cope with
LogEntry.add(new protobuf.Field('host', 15, 'string'));        // the gateway's opt-in annotation
LogEntry.add(new protobuf.Field('futureA', 20, 'fixed64'));    // fields a later eCapture might
LogEntry.add(new protobuf.Field('futureB', 21, 'fixed32'));    // add: must be skipped
LogEntry.add(new protobuf.Field('futureC', 22, 'uint64'));
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
