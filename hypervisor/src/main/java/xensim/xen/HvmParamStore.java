package xensim.xen;

import static xensim.abi.XenErrno.EEXIST;
import static xensim.abi.XenErrno.EINVAL;
import static xensim.abi.XenErrno.EPERM;

/**
 * A domain's HVM parameters (HVMOP_set_param / HVMOP_get_param), with Xen's per-index rules from
 * hvm_allow_set_param / hvm_allow_get_param: a guest may set its own CALLBACK_IRQ, STORE_EVTCHN,
 * CONSOLE_EVTCHN (and a few others) but not STORE_PFN or CONSOLE_PFN (-EPERM); it may read the
 * store and console pfn/evtchn; deprecated indexes give -EINVAL; ALTP2M is read-only (-EEXIST).
 * The toolstack (a privileged caller acting on another domain) may set and get everything.
 */
public final class HvmParamStore {
    /** {@code HVM_NR_PARAMS} in xen/hvm/params.h. */
    public static final int HVM_NR_PARAMS = 39;

    private static final int CALLBACK_IRQ = 0, PAE_ENABLED = 4, DM_DOMAIN = 13, VM86_TSS = 15,
            STORE_PFN = 1, STORE_EVTCHN = 2, CONSOLE_PFN = 17, CONSOLE_EVTCHN = 18,
            ACPI_IOPORTS_LOCATION = 19, VM_GENERATION_ID_ADDR = 34, ALTP2M = 35, X87_FIP_WIDTH = 36,
            VM86_TSS_SIZED = 37;

    private final long[] values = new long[HVM_NR_PARAMS];

    /** The rule for a set; {@code self} when the domain sets its own parameter. 0 or -errno. */
    static int allowSet(int index, boolean self) {
        switch (index) {
            case CALLBACK_IRQ, VM86_TSS, VM86_TSS_SIZED, ACPI_IOPORTS_LOCATION, VM_GENERATION_ID_ADDR,
                 STORE_EVTCHN, CONSOLE_EVTCHN, X87_FIP_WIDTH -> { return 0; }
            case ALTP2M -> { return -EEXIST; }
            default -> {
                if (deprecated(index)) return -EINVAL;
                return self ? -EPERM : 0;
            }
        }
    }

    /** The rule for a get; 0 or -errno. */
    static int allowGet(int index, boolean self) {
        switch (index) {
            case CALLBACK_IRQ, VM86_TSS, VM86_TSS_SIZED, ACPI_IOPORTS_LOCATION, VM_GENERATION_ID_ADDR,
                 STORE_PFN, STORE_EVTCHN, CONSOLE_PFN, CONSOLE_EVTCHN, ALTP2M, X87_FIP_WIDTH -> { return 0; }
            default -> {
                if (deprecated(index)) return -EINVAL;
                return self ? -EPERM : 0;
            }
        }
    }

    private static boolean deprecated(int index) {
        return index == PAE_ENABLED || index == DM_DOMAIN || (index >= 20 && index <= 26) || index == 30;
    }

    public long get(int index) {
        return values[index];
    }

    void set(int index, long value) {
        values[index] = value;
    }
}
