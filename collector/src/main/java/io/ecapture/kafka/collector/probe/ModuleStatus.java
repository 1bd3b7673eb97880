package io.ecapture.kafka.collector.probe;

import java.util.List;

/**
 * One capture module in {@code /status} ({@code modules}).
 *
 * @param name its {@code --modules} name
 * @param enabled selected by {@code --modules} (or by default, its target being present)
 * @param attached at least one probe is attached
 * @param attachments where: {@code path:function} per probe (and {@code path+0xOFFSET} for
 *     explicit offsets)
 * @param reason why it is not attached, or what it fell back to; empty when all is well
 * @param events events it delivered
 */
public record ModuleStatus(String name, boolean enabled, boolean attached, List<String> attachments,
    String reason, long events) {
  public ModuleStatus {
    attachments = List.copyOf(attachments);
  }

  /** A module not selected. */
  public static ModuleStatus disabled(String name, String reason) {
    return new ModuleStatus(name, false, false, List.of(), reason, 0);
  }
}
