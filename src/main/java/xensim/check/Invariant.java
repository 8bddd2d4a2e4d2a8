package xensim.check;

/** The invariants of DESIGN.md §4; a run's verdict is the set of those violated. */
public enum Invariant {
    /** No allocation/free service is called while EBS notifies run. */
    ALLOC_IN_EBS,
    /**
     * When a page changes hands — the firmware frees it (FreePages/FreePool) or allocates it again,
     * or the OS reclaims it — no other domain has it mapped.
     */
    STALE_MAPPING,
    /** No foreign write lands on an OS-owned page the OS did not grant. */
    DMA_AFTER_HANDOFF,
    /** The bus-level reset happens only after every endpoint's backend is Closed and unmapped. */
    RESET_ORDER,
    /** Every guest makes progress: EBS returns, the OS connects every device (a stuck guest). */
    HANG,
    /** Every read returns the last acknowledged write, across backend restarts. */
    DATA_INTEGRITY,
    /** No domain reads or writes another domain's xenstore nodes without permission. */
    XS_ISOLATION,
    /** When a domain is destroyed, no backend still maps its pages. */
    GRANT_LEAK,
    /**
     * Every guest whose OS finished did its work: each device connected, the verified I/Os asked of
     * it done, and every acknowledged write read back.
     */
    WORKLOAD_INCOMPLETE,
    /**
     * When the OS reclaims a page, no grant entry the firmware or the toolstack made still permits
     * a foreign domain access to it (GTF_permit_access), mapped or not: dom0 could map it later.
     */
    STALE_GRANT
}
