package xensim.firmware.uefi;

/**
 * The edk2 release whose DXE core is modelled (the {@code firmware.edk2} setting). What differs is
 * MdeModulePkg/Core/Dxe/DxeMain/DxeMain.c CoreExitBootServices:
 * <ul>
 *   <li>{@code head} — signals the BeforeExitBootServices event group (gEfiEventBeforeExitBootServicesGuid)
 *       on the first call only (edk2 commit e8668d2dee, 2024-12, "Call BeforeExitBootServices event
 *       group only once", UEFI 2.10 errata A §7.4.6), then turns the timer off, then checks MapKey.</li>
 *   <li>{@code 2022.11} — edk2-stable202211, as Debian ships it: no BeforeExitBootServices group
 *       (added by 9d70d8f20d, 2023-01, first released in edk2-stable202302); timer off, then MapKey.</li>
 * </ul>
 * Releases edk2-stable202302 to edk2-stable202411 signal the group on every call; that version is
 * not modelled.
 */
public enum Edk2Version {
    HEAD("head"),
    STABLE_202211("2022.11");

    private final String cliName;

    Edk2Version(String cliName) {
        this.cliName = cliName;
    }

    /** How scenarios, flags and events name it. */
    public String cliName() {
        return cliName;
    }

    /** Whether CoreExitBootServices signals the BeforeExitBootServices group (on its first call). */
    public boolean hasBeforeExitBootServices() {
        return this == HEAD;
    }

    /** {@code head} or {@code 2022.11}; IllegalArgumentException naming the choices otherwise. */
    public static Edk2Version parse(String s) {
        for (Edk2Version v : values()) if (v.cliName.equals(s)) return v;
        throw new IllegalArgumentException("expected head or 2022.11, got '" + s + "'");
    }
}
