package xensim.xen;

import java.util.function.LongSupplier;

/**
 * One domain as the hypervisor keeps it (Xen's {@code struct domain}): its id, whether it is
 * privileged (dom0), its memory, grant table, maptrack (the grants it has mapped), event channels
 * and HVM parameters. A destroyed domain whose grants are still mapped by others stays as a dying
 * zombie, as in Xen, until the last mapping goes; its id is not reused meanwhile.
 */
public final class Domain {
    private final int domid;
    private final DomainConfig config;
    private final boolean privileged;
    private final GuestMemory memory;
    private final GrantTable grantTable;
    private final Maptrack maptrack = new Maptrack();
    private final EventChannels eventChannels;
    private final HvmParamStore hvmParams = new HvmParamStore();
    private final SharedInfo sharedInfo;
    boolean dying;
    /** Fault hook: the next N maps of this domain's grants fail with GNTST_eagain. */
    int eagainMaps;
    /** Nemesis: event-channel fault on sends to or from this domain (null: none) and how many sends it hits. */
    Hypervisor.EvtchnFault evtchnFault;
    int evtchnFaultCount;
    long evtchnFaultDelayNanos;

    Domain(int domid, DomainConfig config, boolean privileged, LongSupplier mfns, Hypervisor hypervisor) {
        this(domid, config, privileged, mfns, hypervisor, null);
    }

    Domain(int domid, DomainConfig config, boolean privileged, LongSupplier mfns, Hypervisor hypervisor, MemoryBacking backing) {
        this.domid = domid;
        this.config = config;
        this.privileged = privileged;
        this.memory = new GuestMemory(domid, config.ramPages(), config.maxGfn(), mfns, backing);
        this.grantTable = new GrantTable(domid, config.maxGrantFrames(), mfns, backing);
        this.eventChannels = new EventChannels(domid, config.maxEvtchnPort());
        this.sharedInfo = new SharedInfo(hypervisor, domid);
    }

    public int domid() { return domid; }
    public DomainConfig config() { return config; }
    public boolean privileged() { return privileged; }
    public GuestMemory memory() { return memory; }
    public GrantTable grantTable() { return grantTable; }
    public EventChannels eventChannels() { return eventChannels; }
    public HvmParamStore hvmParams() { return hvmParams; }
    public SharedInfo sharedInfo() { return sharedInfo; }
    Maptrack maptrack() { return maptrack; }

    public boolean isDying() {
        return dying;
    }

    @Override
    public String toString() {
        return "d" + domid + (privileged ? " (privileged)" : "") + (dying ? " (dying)" : "");
    }
}
