package xensim.firmware;

/**
 * Which XenBusDxe and XenPvBlkDxe run in the guest: the Java models ({@code model}, every EBS
 * design) or edk2's own C drivers compiled from Debian's edk2 source package ({@code ovmf-c}:
 * only the {@code disconnect} design, which is what edk2 ships, and OVMF's synchronous I/O).
 */
public enum FirmwareImpl {
    MODEL("model"), OVMF_C("ovmf-c");

    private final String cliName;

    FirmwareImpl(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static FirmwareImpl parse(String s) {
        for (FirmwareImpl f : values()) if (f.cliName.equals(s)) return f;
        throw new IllegalArgumentException("unknown firmware '" + s + "' (model, ovmf-c)");
    }
}
