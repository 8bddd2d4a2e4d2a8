package xensim.firmware.uefi;

/** EFI_TPL values as the UEFI spec and edk2's DXE core define them. */
public final class Tpl {
    private Tpl() {}

    public static final int APPLICATION = 4;
    public static final int CALLBACK = 8;
    public static final int NOTIFY = 16;
    public static final int HIGH_LEVEL = 31;

    public static String name(int tpl) {
        return switch (tpl) {
            case APPLICATION -> "TPL_APPLICATION";
            case CALLBACK -> "TPL_CALLBACK";
            case NOTIFY -> "TPL_NOTIFY";
            case HIGH_LEVEL -> "TPL_HIGH_LEVEL";
            default -> "TPL_" + tpl;
        };
    }
}
