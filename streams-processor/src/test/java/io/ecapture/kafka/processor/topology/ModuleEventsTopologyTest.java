package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.DatabaseQuery;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.ShellCommand;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Shell and server-side query events of the collector's capture modules pass to ecapture.parsed
 * as one message each (no reassembly, no connection state), with their fields and display text.
 */
class ModuleEventsTopologyTest extends HarnessTopologyTest {
  private static RawEvent.Builder base(int pid, String comm) {
    return RawEvent.newBuilder().setHostId("h").setConnectionId("h/" + pid + "/-1/0").setFd(-1)
        .setProcess(ProcessInfo.newBuilder().setPid(pid).setTid(pid).setUid(1000).setComm(comm))
        .setWallTimeNs(1_700_000_000_000_000_000L);
  }

  @Test
  void shellCommandsAndServerQueriesAreMessagesOfTheirOwn() {
    harness.send(base(42, "bash").setShell(ShellCommand.newBuilder().setShell("bash").setLine("ls -l /etc")
        .setTty("pts/3").setBinary("/usr/bin/bash")).build());
    harness.send(base(42, "bash").setShell(ShellCommand.newBuilder().setShell("bash").setLine("whoami")
        .setTty("pts/3").setReturnCode(1)).build());
    harness.send(base(77, "mariadbd").setQuery(DatabaseQuery.newBuilder().setServer("mysql")
        .setQuery("SELECT 1").setCommand(3).setResult(0).setDurationNs(310_000).setFunction("dispatch_command")).build());
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(3, out.size());
    ParsedMessage shell = out.get(0);
    assertEquals(Protocol.SHELL, shell.getProtocol());
    assertEquals(MessageKind.EVENT, shell.getKind());
    assertEquals("ls -l /etc", shell.getShell().getLine());
    assertEquals("pts/3", shell.getShell().getTty());
    assertEquals(1000, shell.getShell().getUid());
    assertEquals("bash (pid 42, uid 1000, tty pts/3)\n$ ls -l /etc\n", ParsedText.rendered(shell).toStringUtf8());
    assertEquals("whoami", out.get(1).getShell().getLine());
    assertTrue(out.get(1).getShell().getHasReturnCode());
    assertEquals(1, out.get(1).getShell().getReturnCode());
    assertEquals("bash (pid 42, uid 1000, tty pts/3, exit 1)\n$ whoami\n", ParsedText.rendered(out.get(1)).toStringUtf8());
    ParsedMessage query = out.get(2);
    assertEquals(Protocol.SERVER_QUERY, query.getProtocol());
    assertEquals("SELECT 1", query.getServerQuery().getQuery());
    assertTrue(query.getServerQuery().getHasResult());
    assertEquals(310_000, query.getLatencyNs());
    assertEquals("mysql server query (pid 77, dispatch_command, returned 0, 310 us)\nSELECT 1\n",
        ParsedText.rendered(query).toStringUtf8());
    assertEquals("h/77/-1/0", query.getConnectionId());
  }

  @Test
  void passwordLiteralsOfServerQueriesNeverLeave() {
    harness.send(base(78, "postgres").setQuery(DatabaseQuery.newBuilder().setServer("postgres")
        .setQuery("ALTER USER \"app\" WITH PASSWORD E'pgpw-secret';").setFunction("pg_parse_query")).build());
    ParsedMessage query = harness.parsed().readValue();
    assertEquals("ALTER USER \"app\" WITH PASSWORD '<redacted>';", query.getServerQuery().getQuery());
    assertTrue(!query.toString().contains("pgpw-secret"), query.toString());
  }
}
