package io.ecapture.kafka.gateway.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The browser view's few files, read from the jar once at start and served from memory: a fixed
 * list, so no request path ever reaches the class loader or the file system.
 */
final class StaticFiles {
  private static final List<String> FILES = List.of("index.html", "app.js", "logentry.js", "style.css");
  /** Same-origin only: the page talks to nothing but this gateway's WebSocket. */
  private static final String CSP =
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'";

  private record File(byte[] bytes, String type) {}

  private final Map<String, File> files;
  private final String index;

  private StaticFiles(Map<String, File> files, String index) {
    this.files = files;
    this.index = index;
  }

  static StaticFiles load(String directory, String index) {
    Map<String, File> files = new HashMap<>();
    for (String name : FILES) {
      try (InputStream in = StaticFiles.class.getResourceAsStream("/" + directory + "/" + name)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + directory + "/" + name + " in the jar");
        }
        files.put(name, new File(in.readAllBytes(), type(name)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new StaticFiles(Map.copyOf(files), index);
  }

  /** Serves {@code name} ("" for the index); false when there is no such file. */
  boolean serve(String name, Request request, Response response, Callback callback) {
    File file = files.get(name.isEmpty() ? index : name);
    if (file == null) {
      return false;
    }
    response.setStatus(HttpStatus.OK_200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, file.type());
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("Content-Security-Policy", CSP);
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, file.bytes().length);
    boolean head = request.getMethod().equals("HEAD");
    response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(file.bytes()), callback);
    return true;
  }

  private static String type(String name) {
    if (name.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (name.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    }
    return "text/css; charset=utf-8";
  }
}
