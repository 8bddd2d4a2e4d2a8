package xensim.firmware.uefi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An EFI_HANDLE: its protocol interfaces and who opened them (OpenProtocolInformation). */
public final class Handle implements xensim.design.EfiHandle {
    public static final int BY_HANDLE_PROTOCOL = 0x01;
    public static final int GET_PROTOCOL = 0x02;
    public static final int TEST_PROTOCOL = 0x04;
    public static final int BY_CHILD_CONTROLLER = 0x08;
    public static final int BY_DRIVER = 0x10;
    public static final int EXCLUSIVE = 0x20;

    /** EFI_OPEN_PROTOCOL_INFORMATION_ENTRY. */
    public record OpenInfo(String protocol, String agent, Handle controller, int attributes) {}

    final int id;
    final String name;
    final Map<String, Object> protocols = new LinkedHashMap<>();
    final List<OpenInfo> opens = new ArrayList<>();

    Handle(int id, String name) {
        this.id = id;
        this.name = name;
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    public Object protocol(String guid) {
        return protocols.get(guid);
    }

    public boolean has(String guid) {
        return protocols.containsKey(guid);
    }

    @Override
    public String toString() {
        return "Handle#" + id + "(" + name + ")";
    }
}
