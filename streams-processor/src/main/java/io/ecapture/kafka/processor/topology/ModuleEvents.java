package io.ecapture.kafka.processor.topology;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.capture.DatabaseQuery;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.ShellCommand;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import io.ecapture.kafka.proto.parsed.QueryFields;
import io.ecapture.kafka.proto.parsed.ShellFields;

/**
 * Events of the collector's shell and database-server modules (RawEvent bodies {@code shell} and
 * {@code query}): complete on their own, so they pass straight to ecapture.parsed as one message
 * each (protocol SHELL / SERVER_QUERY, kind EVENT), without connection state or reassembly.
 */
final class ModuleEvents {
  private ModuleEvents() {}

  /** Whether {@code event} is such an event. */
  static boolean isModuleEvent(RawEvent event) {
    return event.hasShell() || event.hasQuery();
  }

  /** The parsed message of a shell or query event, with its display text in {@code rendered}. */
  static ParsedMessage toParsed(RawEvent event) {
    ParsedMessage.Builder m = ParsedMessage.newBuilder()
        .setConnectionId(event.getConnectionId())
        .setHostId(event.getHostId())
        .setPid(event.getProcess().getPid())
        .setTid(event.getProcess().getTid())
        .setComm(event.getProcess().getComm())
        .setFd(event.getFd())
        .setKind(MessageKind.EVENT)
        .setFirstByteTimeNs(event.getWallTimeNs())
        .setLastByteTimeNs(event.getWallTimeNs());
    if (event.hasWorkload()) {
      m.setWorkload(event.getWorkload());
    }
    String text;
    if (event.hasShell()) {
      ShellCommand shell = event.getShell();
      ShellFields.Builder fields = ShellFields.newBuilder()
          .setShell(shell.getShell()).setLine(shell.getLine()).setTty(shell.getTty())
          .setUid(event.getProcess().getUid()).setTruncated(shell.getTruncated()).setDurationNs(shell.getDurationNs());
      if (shell.hasReturnCode()) {
        fields.setHasReturnCode(true).setReturnCode(shell.getReturnCode());
      }
      m.setProtocol(Protocol.SHELL).setShell(fields);
      text = shell.getShell() + " (pid " + event.getProcess().getPid() + ", uid " + event.getProcess().getUid()
          + (shell.getTty().isEmpty() ? "" : ", tty " + shell.getTty())
          + (shell.hasReturnCode() ? ", exit " + shell.getReturnCode() : "") + ")\n$ " + shell.getLine()
          + (shell.getTruncated() ? "\n[line cut at the capture limit]" : "") + "\n";
    } else {
      DatabaseQuery query = event.getQuery();
      // password literals never leave, as for queries parsed from the wire (DbExchanges)
      String sql = io.ecapture.kafka.processor.protocol.db.DbExchanges.redactSql(query.getQuery());
      QueryFields.Builder fields = QueryFields.newBuilder()
          .setServer(query.getServer()).setQuery(sql).setCommand(query.getCommand())
          .setDurationNs(query.getDurationNs()).setTruncated(query.getTruncated()).setFunction(query.getFunction());
      if (query.hasResult()) {
        fields.setHasResult(true).setResult(query.getResult());
      }
      m.setProtocol(Protocol.SERVER_QUERY).setServerQuery(fields);
      m.setLatencyNs(query.getDurationNs());
      text = query.getServer() + " server query (pid " + event.getProcess().getPid() + ", "
          + query.getFunction() + (query.hasResult() ? ", returned " + query.getResult() : "")
          + (query.getDurationNs() > 0 ? ", " + query.getDurationNs() / 1000 + " us" : "") + ")\n" + sql
          + (query.getTruncated() ? "\n[query cut at the capture limit]" : "") + "\n";
    }
    ByteString rendered = ByteString.copyFromUtf8(text);
    return m.setRendered(rendered).setLength(rendered.size()).build();
  }
}
