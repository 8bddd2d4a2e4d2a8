package xensim.abi;

/**
 * {@code xen/grant_table.h}, version 1: the grant entry a guest writes into its grant-table frames,
 * the GTF_* flags, GNTMAP_* flags and GNTST_* status codes.
 *
 * <pre>
 * struct grant_entry_v1 {       // 8 bytes, little-endian
 *     uint16_t flags;           // offset 0: GTF_*
 *     domid_t  domid;           // offset 2: domain granted access
 *     uint32_t frame;           // offset 4: gfn of the granted page
 * };
 * </pre>
 */
public final class GrantTableAbi {
    private GrantTableAbi() {}

    public static final int PAGE_SIZE = 4096;
    public static final int GRANT_ENTRY_V1_SIZE = 8;
    public static final int GRANT_ENTRY_V1_FLAGS = 0;
    public static final int GRANT_ENTRY_V1_DOMID = 2;
    public static final int GRANT_ENTRY_V1_FRAME = 4;
    /** Entries per 4 KiB grant-table frame. */
    public static final int GRANT_ENTRIES_PER_FRAME = PAGE_SIZE / GRANT_ENTRY_V1_SIZE;
    /** Refs 0..7 are reserved (xenstore and console by the toolstack); frontends allocate from 8. */
    public static final int GNTTAB_NR_RESERVED_ENTRIES = 8;
    public static final int GNTTAB_RESERVED_CONSOLE = 0;
    public static final int GNTTAB_RESERVED_XENSTORE = 1;

    public static final int GTF_invalid = 0;
    public static final int GTF_permit_access = 1;
    public static final int GTF_accept_transfer = 2;
    public static final int GTF_transitive = 3;
    public static final int GTF_type_mask = 3;
    public static final int GTF_readonly = 1 << 2;
    public static final int GTF_reading = 1 << 3;
    public static final int GTF_writing = 1 << 4;
    public static final int GTF_PWT = 1 << 5;
    public static final int GTF_PCD = 1 << 6;
    public static final int GTF_PAT = 1 << 7;
    public static final int GTF_sub_page = 1 << 8;

    public static final int GNTTABOP_map_grant_ref = 0;
    public static final int GNTTABOP_unmap_grant_ref = 1;
    public static final int GNTTABOP_setup_table = 2;
    public static final int GNTTABOP_query_size = 6;

    public static final int GNTMAP_device_map = 1 << 0;
    public static final int GNTMAP_host_map = 1 << 1;
    public static final int GNTMAP_readonly = 1 << 2;

    public static final int GNTST_okay = 0;
    public static final int GNTST_general_error = -1;
    public static final int GNTST_bad_domain = -2;
    public static final int GNTST_bad_gntref = -3;
    public static final int GNTST_bad_handle = -4;
    public static final int GNTST_bad_virt_addr = -5;
    public static final int GNTST_bad_dev_addr = -6;
    public static final int GNTST_no_device_space = -7;
    public static final int GNTST_permission_denied = -8;
    public static final int GNTST_bad_page = -9;
    public static final int GNTST_bad_copy_arg = -10;
    public static final int GNTST_address_too_big = -11;
    public static final int GNTST_eagain = -12;
    public static final int GNTST_no_space = -13;

    /** GNTTABOP_error_msgs, indexed by -status. */
    private static final String[] MSGS = {
        "okay", "undefined error", "unrecognised domain id", "invalid grant reference",
        "invalid mapping handle", "invalid virtual address", "invalid device address",
        "no spare translation slot in the I/O MMU", "permission denied", "bad page",
        "copy arguments cross page boundary", "page address size too large", "operation not done; try again",
        "out of space",
    };

    /** The GNTST_* symbol, e.g. {@code GNTST_bad_gntref}. */
    public static String gntstName(int status) {
        return switch (status) {
            case GNTST_okay -> "GNTST_okay";
            case GNTST_general_error -> "GNTST_general_error";
            case GNTST_bad_domain -> "GNTST_bad_domain";
            case GNTST_bad_gntref -> "GNTST_bad_gntref";
            case GNTST_bad_handle -> "GNTST_bad_handle";
            case GNTST_bad_virt_addr -> "GNTST_bad_virt_addr";
            case GNTST_bad_dev_addr -> "GNTST_bad_dev_addr";
            case GNTST_no_device_space -> "GNTST_no_device_space";
            case GNTST_permission_denied -> "GNTST_permission_denied";
            case GNTST_bad_page -> "GNTST_bad_page";
            case GNTST_bad_copy_arg -> "GNTST_bad_copy_arg";
            case GNTST_address_too_big -> "GNTST_address_too_big";
            case GNTST_eagain -> "GNTST_eagain";
            case GNTST_no_space -> "GNTST_no_space";
            default -> "GNTST_" + status;
        };
    }

    /** The message Xen's GNTTABOP_error_msgs gives for a status. */
    public static String gntstMessage(int status) {
        int i = -status;
        return i >= 0 && i < MSGS.length ? MSGS[i] : "unknown status " + status;
    }
}
