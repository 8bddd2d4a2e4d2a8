/**
 * The hypervisor (DESIGN.md §2): domains, guest memory, grant tables v1, event channels and HVM
 * parameters, with Xen's names and Xen's error codes. Plain core classes own the state and are
 * unit-tested without Akka; {@link xensim.xen.HypervisorActor} is the thin actor in front of them.
 *
 * <ul>
 *   <li>{@link xensim.xen.Hypervisor} — the core: every hypercall as a synchronized method taking the
 *       calling domain first and returning a record with {@code rc} (0 / negative
 *       {@link xensim.abi.XenErrno}) or {@code status} (GNTST_*). dom0 exists from the start and is
 *       the only privileged domain.</li>
 *   <li>{@link xensim.xen.HypervisorActor} — hypercalls as messages ({@code Command} records with an
 *       explicit {@code replyTo}), upcalls to bound handlers through the seam.</li>
 *   <li>{@link xensim.xen.Domain}, {@link xensim.xen.DomainConfig}, {@link xensim.xen.DomId} — a
 *       domain and what it is created with; ids from 1, DOMID_SELF and the reserved ids.</li>
 *   <li>{@link xensim.xen.GuestMemory} (the physmap), {@link xensim.xen.GuestPage} (one gfn as the
 *       guest CPU sees it), {@link xensim.xen.Page} (a 4 KiB machine page with an owner and a type
 *       tag). Guest code reads and writes its memory directly through these; no events.</li>
 *   <li>{@link xensim.xen.GrantTable} (the granting side Xen keeps: frames, active entries, pins),
 *       {@link xensim.xen.Maptrack} (handles of a mapping domain), {@link xensim.xen.GrantMapping}
 *       (a backend's view of a granted page; writes are FOREIGN_WRITE events),
 *       {@link xensim.xen.GrantTableGuest} (what a guest kernel or firmware does: grant access,
 *       end access), {@link xensim.xen.MappedGrant} (a still-mapped grant, as destroy reports).</li>
 *   <li>{@link xensim.xen.EventChannels} (a domain's port table), {@link xensim.xen.SharedInfo}
 *       (pending/mask bits a polling guest reads directly), {@link xensim.xen.UpcallHandler},
 *       {@link xensim.xen.UpcallScheduler}.</li>
 *   <li>{@link xensim.xen.HvmParamStore} — HVM parameters with Xen's per-index permissions.</li>
 * </ul>
 *
 * <p>Deliberate simplifications: one vCPU per domain; grant table v1 only, GNTMAP_host_map only;
 * shared_info is an object, not a page in the physmap (XENMAPSPACE_shared_info gives -ENOSYS);
 * event channels are interdomain only (no VIRQ, IPI, PIRQ).
 */
package xensim.xen;
