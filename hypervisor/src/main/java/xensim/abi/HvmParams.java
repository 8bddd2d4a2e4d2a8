package xensim.abi;

/** HVM parameter indexes ({@code xen/hvm/params.h}) the guest reads with HVMOP_get_param. */
public final class HvmParams {
    private HvmParams() {}

    public static final int HVM_PARAM_STORE_PFN = 1;
    public static final int HVM_PARAM_STORE_EVTCHN = 2;
    public static final int HVM_PARAM_CONSOLE_PFN = 17;
    public static final int HVM_PARAM_CONSOLE_EVTCHN = 18;

    /** {@code xen/memory.h}: XENMEM_add_to_physmap space for grant-table frames. */
    public static final int XENMAPSPACE_grant_table = 1;
    public static final int XENMEM_add_to_physmap = 7;
    public static final int XENMEM_remove_from_physmap = 15;
}
