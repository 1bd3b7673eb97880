package io.ecapture.kafka.collector.probe;

/** OpenSSL 3.5.9, Debian 13's (the 3.x LTS after 3.0; SSL objects are SSL_CONNECTIONs). */
class OpenSsl35CaptureTest extends DebianOpenSslCaptureTest {
  OpenSsl35CaptureTest() {
    super(DebianOpenSsl.OPENSSL_3_5_9);
  }
}
