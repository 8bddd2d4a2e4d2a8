package xensim.xen;

/**
 * What XEN_DOMCTL_createdomain (plus the toolstack's memory setup) gives a new domain.
 *
 * @param ramPages       gfns {@code [0, ramPages)} are RAM: zero-filled, a page is allocated on first write
 * @param maxGfn         gfns {@code [ramPages, maxGfn)} start as holes (no RAM, like the platform PCI
 *                       MMIO BAR where OVMF and Linux place the grant-table frames); gfns at or above
 *                       it are out of range
 * @param maxGrantFrames grant-table frames the domain may grow to (Xen's {@code gnttab_max_frames}, 64)
 * @param maxEvtchnPort  highest event-channel port (libxl's default {@code max_event_channels} is 1023)
 */
public record DomainConfig(int ramPages, int maxGfn, int maxGrantFrames, int maxEvtchnPort) {

    /** Size of the hole above RAM that {@link #ofRamPages} leaves for grant frames: 16 MiB. */
    public static final int DEFAULT_MMIO_PAGES = 4096;
    public static final int DEFAULT_MAX_GRANT_FRAMES = 64;
    public static final int DEFAULT_MAX_EVTCHN_PORT = 1023;

    /** {@code ramPages} of RAM, then a 16 MiB hole, default grant and event-channel limits. */
    public static DomainConfig ofRamPages(int ramPages) {
        return new DomainConfig(ramPages, ramPages + DEFAULT_MMIO_PAGES, DEFAULT_MAX_GRANT_FRAMES,
                DEFAULT_MAX_EVTCHN_PORT);
    }

    /** {@code mib} MiB of RAM (256 pages per MiB), then the default hole. */
    public static DomainConfig ofMegabytes(int mib) {
        return ofRamPages(mib * 256);
    }

    /** First gfn of the hole above RAM: where a guest may place grant frames. */
    public long firstHoleGfn() {
        return ramPages;
    }

    /** True when the numbers make sense (Xen would refuse the rest with -EINVAL). */
    public boolean valid() {
        return ramPages >= 0 && maxGfn >= ramPages && maxGfn > 0
                && maxGrantFrames >= GrantTable.INITIAL_NR_GRANT_FRAMES && maxGrantFrames <= 1024
                && maxEvtchnPort > 0 && maxEvtchnPort < EventChannels.EVTCHN_2L_NR_CHANNELS;
    }
}
