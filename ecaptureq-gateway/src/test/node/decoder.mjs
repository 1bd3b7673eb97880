// Checks the browser view's hand-written decoder (src/main/resources/ecaptureq-ui/logentry.js)
// against protobufjs encodings of the project's ecaptureq.proto (path in $ECAPTUREQ_PROTO, set by
// NodeScripts.java): every field, 64-bit timestamps, unknown fields, the host and workload
// annotations, binary payloads, truncated input. Prints "ok N" or the failure.
import protobuf from 'protobufjs';
import assert from 'node:assert/strict';
import { decodeLogEntry, asText, hexDump } from '../../main/resources/ecaptureq-ui/logentry.js';
import { loadSchema } from './schema.mjs';

const LogEntry = loadSchema().lookupType('ecaptureq.LogEntry');
// fields the reference schema lacks, added here to encode what the decoder must cope with
LogEntry.add(new protobuf.Field('host', 15, 'string'));        // the gateway's opt-in annotations
// field 16: capture.proto's Workload, declared here as the gateway serializes it
const Workload = new protobuf.Type('Workload')
  .add(new protobuf.Field('cgroupId', 1, 'uint64'))
  .add(new protobuf.Field('cgroupPath', 2, 'string'))
  .add(new protobuf.Field('containerId', 3, 'string'))
  .add(new protobuf.Field('podUid', 4, 'string'))
  .add(new protobuf.Field('podName', 5, 'string'))
  .add(new protobuf.Field('podNamespace', 6, 'string'))
  .add(new protobuf.Field('containerName', 7, 'string'))
  .add(new protobuf.Field('futureW', 9, 'fixed64'));       // a later Workload field: skipped
LogEntry.parent.add(Workload);
LogEntry.add(new protobuf.Field('workload', 16, 'Workload'));
LogEntry.add(new protobuf.Field('pairId', 17, 'string'));      // annotate=pair
LogEntry.add(new protobuf.Field('latencyNs', 18, 'uint64'));
LogEntry.add(new protobuf.Field('authority', 19, 'string'));
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
assert.equal(log.workload, null, 'no annotation, no workload'); checks++;

const container = '3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718';
const annotated = decodeLogEntry(enc({
  logType: 2, host: 'node-7',
  eventPayload: { uuid: 'w', pname: 'curl', type: 1, payload: Buffer.from('GET /') },
  workload: {
    cgroupId: '18446744073709551615', futureW: '3',
    cgroupPath: '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8c6e5b0a_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/cri-containerd-' + container + '.scope',
    containerId: container, podUid: '8c6e5b0a-1f2d-4c3b-9a8e-7d6c5b4a3f21', podName: 'checkout-7d9f8b6c5d-x2x9z',
    podNamespace: 'payments', containerName: 'app',
  },
}));
assert.equal(annotated.host, 'node-7'); checks++;
assert.equal(annotated.event.pname, 'curl'); checks++;
assert.deepEqual(annotated.workload, {
  cgroupPath: '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8c6e5b0a_1f2d_4c3b_9a8e_7d6c5b4a3f21.slice/cri-containerd-' + container + '.scope',
  containerId: container, podUid: '8c6e5b0a-1f2d-4c3b-9a8e-7d6c5b4a3f21', podName: 'checkout-7d9f8b6c5d-x2x9z',
  podNamespace: 'payments', containerName: 'app',
}); checks++;
const hostOnly = decodeLogEntry(enc({ logType: 2, workload: { cgroupId: '9', cgroupPath: '/system.slice/x.service' } }));
assert.deepEqual(hostOnly.workload, {
  cgroupPath: '/system.slice/x.service', containerId: '', podUid: '', podName: '', podNamespace: '', containerName: '',
}, 'a workload without container or pod: empty strings'); checks++;

const paired = decodeLogEntry(enc({
  logType: 2, pairId: 'web-1/42/5/77#3', latencyNs: '12500000', authority: 'shop.example',
  eventPayload: { uuid: 'p', type: 3, payload: Buffer.from('HTTP/1.1 200 OK') },
}));
assert.deepEqual([paired.pairId, paired.latencyNs, paired.authority],
  ['web-1/42/5/77#3', 12500000, 'shop.example']); checks++;
assert.deepEqual([log.pairId, log.latencyNs, log.authority], [null, null, null], 'no pair annotation'); checks++;

assert.equal(asText(Buffer.from('GET / HTTP/1.1\r\n\tx')), 'GET / HTTP/1.1\r\n\tx'); checks++;
assert.throws(() => decodeLogEntry(enc({ logType: 1, runLog: 'cut' }).subarray(0, 4)), /past the end/); checks++;
assert.throws(() => decodeLogEntry(Uint8Array.from([0x08, 0xff])), /truncated varint/); checks++;

console.log('ok ' + checks);
