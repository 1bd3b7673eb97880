package io.ecapture.kafka.collector.probe;

/** OpenSSL 1.1.1w, Debian 11's. */
class OpenSsl11CaptureTest extends DebianOpenSslCaptureTest {
  OpenSsl11CaptureTest() {
    super(DebianOpenSsl.OPENSSL_1_1_1W);
  }
}
