// The eCaptureQ wire schema for the Node test clients: the project's own
// proto/src/main/proto/ecaptureq.proto, never a copy. NodeScripts.java passes its absolute path in
// $ECAPTUREQ_PROTO; protobufjs's full build (the package's default entry) parses .proto files.
import protobuf from 'protobufjs';

export function loadSchema() {
  const path = process.env.ECAPTUREQ_PROTO;
  if (!path) throw new Error('ECAPTUREQ_PROTO must name proto/src/main/proto/ecaptureq.proto');
  return protobuf.loadSync(path);
}
