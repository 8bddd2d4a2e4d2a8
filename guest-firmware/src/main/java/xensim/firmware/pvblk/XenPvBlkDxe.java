package xensim.firmware.pvblk;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import xensim.abi.Blkif;
import xensim.abi.PageBytes;
import xensim.abi.SharedRing;
import xensim.abi.XenbusState;
import xensim.design.EbsDesign;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.DriverBinding;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.Handle;
import xensim.firmware.uefi.Protocols;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;
import xensim.firmware.xenbus.XenBusIo;

/**
 * OvmfPkg/XenPvBlkDxe: the blkif frontend on a XENBUS_PROTOCOL child of type "vbd".
 * Start = XenPvBlockFrontInitialization (event channel, ring page granted to the backend, a
 * transaction writing ring-ref / event-channel / protocol / state=Connected, wait for the
 * backend's Connected, read info / sectors / sector-size / feature-flush-cache). I/O follows
 * the {@link FirmwareIo} profile: {@link FirmwareIo#OVMF} issues one request and busy-polls it
 * to completion (XenPvBlockIo), granting the caller's buffer pages; {@link FirmwareIo#ASYNC}
 * grants bounce pages per request (AllocatePages), up to the configured queue depth in flight,
 * with a periodic timer at TPL_CALLBACK polling the ring (it stops at EBS).
 * Stop = XenPvBlockFrontShutdown exactly as edk2 does it.
 */
public final class XenPvBlkDxe implements DriverBinding {
    public static final String NAME = "XenPvBlkDxe";
    public static final String COMP = "fw.pvblk";
    public static final long POLL_PERIOD_NANOS = 200_000;

    private final BootServices bs;
    private final EbsDesign strategy;
    private final int queueDepth;
    private final FirmwareIo firmwareIo;
    private final Map<Handle, Device> devices = new LinkedHashMap<>();

    public XenPvBlkDxe(BootServices bs, EbsDesign strategy, int queueDepth, FirmwareIo firmwareIo) {
        this.bs = bs;
        this.strategy = strategy;
        this.firmwareIo = firmwareIo;
        this.queueDepth = firmwareIo == FirmwareIo.OVMF ? 1 : Math.max(1, Math.min(queueDepth, Blkif.RING_SIZE));
    }

    public FirmwareIo firmwareIo() {
        return firmwareIo;
    }

    @Override
    public String name() {
        return NAME;
    }

    public List<Device> devices() {
        return List.copyOf(devices.values());
    }

    @Override
    public boolean supported(BootServices b, Handle h) {
        Object p = h.protocol(Protocols.XENBUS);
        return p instanceof XenBusIo io && "vbd".equals(io.type()) && !devices.containsKey(h);
    }

    @Override
    public void start(BootServices b, Handle h, Consumer<EfiStatus> done) {
        EfiStatus st = bs.openProtocol(h, Protocols.XENBUS, NAME, h, Handle.BY_DRIVER);
        if (st.isError()) {
            done.accept(st);
            return;
        }
        XenBusIo io = (XenBusIo) h.protocol(Protocols.XENBUS);
        Device dev = new Device(io, h);
        dev.initialize(ist -> {
            if (ist.isError()) {
                bs.closeProtocol(h, Protocols.XENBUS, NAME, h);
                done.accept(ist);
                return;
            }
            devices.put(h, dev);
            bs.installProtocolInterface(h, io.node(), Protocols.BLOCK_IO, dev);
            strategy.childStarted(dev.forDesigns());
            done.accept(EfiStatus.EFI_SUCCESS);
        });
    }

    @Override
    public void stop(BootServices b, Handle h, List<Handle> children, Consumer<EfiStatus> done) {
        Device dev = devices.get(h);
        if (dev == null) {
            done.accept(EfiStatus.EFI_SUCCESS);
            return;
        }
        strategy.childStopping(dev.forDesigns());
        bs.uninstallProtocolInterface(h, Protocols.BLOCK_IO, st -> dev.shutdown(() -> {
            bs.closeProtocol(h, Protocols.XENBUS, NAME, h);
            devices.remove(h);
            done.accept(EfiStatus.EFI_SUCCESS);
        }));
    }

    /** One request in flight; {@code bounce}: its pages were allocated by the driver (ASYNC), else they are the caller's. */
    private record Req(long id, boolean write, long lba, int blocks, long bufGfn, int pages, int[] refs, boolean bounce,
                       Consumer<BlockIo.Completion> k) {}

    /** XEN_BLOCK_FRONT_DEVICE: one frontend, its ring, its in-flight requests. */
    public final class Device implements xensim.firmware.boot.BootDisk {
        private final XenBusIo io;
        private final Handle handle;
        private long devPool = -1;
        private int port = -1;
        private long ringGfn = -1;
        private int ringRef = -1;
        private SharedRing.FrontRing ring;
        private long sectors;
        private int sectorSize = 512;
        private boolean flush;
        private boolean readOnly;
        private final String token;
        private final Map<Long, Req> inflight = new LinkedHashMap<>();
        private long nextId = 1;
        private UefiEvent pollTimer;
        private boolean pollTimerArmed;
        /** Set by the designs' EBS code: no new I/O, completions free nothing (no memory services). */
        private boolean handoff;
        private long completed;

        Device(XenBusIo io, Handle handle) {
            this.io = io;
            this.handle = handle;
            this.token = "blk" + io.deviceId();
        }

        @Override
        public int deviceId() {
            return xenBusIo().deviceId();
        }

        public XenBusIo xenBusIo() {
            return io;
        }

        private xensim.design.PvBlockDevice designView;

        /** This device as EBS designs see it (the same object each time). */
        public xensim.design.PvBlockDevice forDesigns() {
            if (designView == null) {
                designView = new xensim.design.PvBlockDevice() {
                    @Override
                    public xensim.design.XenBusProtocol xenBus() {
                        return io.forDesigns();
                    }

                    @Override
                    public int inFlight() {
                        return inflight.size();
                    }

                    @Override
                    public void quiesceForHandoff(Runnable then) {
                        Device.this.quiesceForHandoff(then);
                    }

                    @Override
                    public String toString() {
                        return "XenPvBlkDxe(" + io.node() + ")";
                    }
                };
            }
            return designView;
        }

        public Handle handle() {
            return handle;
        }

        public int ringRef() {
            return ringRef;
        }

        public int port() {
            return port;
        }

        public long completed() {
            return completed;
        }

        @Override
        public long lastBlock() {
            return sectors - 1;
        }

        @Override
        public int inFlight() {
            return inflight.size();
        }

        private void event(String ev, Object... kv) {
            var b = bs.log().event(bs.domid(), COMP, ev).with("devid", io.deviceId());
            for (int i = 0; i + 1 < kv.length; i += 2) b.with((String) kv[i], kv[i + 1]);
            b.emit();
        }

        // --- XenPvBlockFrontInitialization ----------------------------------------------------

        void initialize(Consumer<EfiStatus> done) {
            devPool = bs.allocatePool(EfiMemoryType.EfiBootServicesData, 512);
            // XenPvBlockFrontInitialization: device-type (a cdrom also reads the backend's params),
            // then the frontend's backend-id (unreadable or above 0xffff: the device fails)
            io.xsRead(0, "device-type", (type, e0) -> {
                if ("cdrom".equals(type)) readOnly = true;
                Consumer<Runnable> params = k -> {
                    if ("cdrom".equals(type)) io.xsBackendRead(0, "params", (pv, ep) -> k.run());
                    else k.run();
                };
                params.accept(() -> io.xsRead(0, "backend-id", (bid, eb) -> {
                long backendId;
                try {
                    backendId = bid == null ? -1 : Long.parseLong(bid.trim());
                } catch (NumberFormatException ex) {
                    backendId = -1;
                }
                if (backendId < 0 || backendId > 0xffff) {
                    event("FW_WARNING", "detail", "XenPvBlk: Failed to get backend-id");
                    fail(done);
                    return;
                }
                io.setBackendId((int) backendId);
                io.eventChannelAllocate(io.backendId(), p -> {
                    port = p;
                    ringGfn = bs.allocatePages(EfiMemoryType.EfiBootServicesData, 1);
                    PageBytes page = bs.memory().page(ringGfn);
                    SharedRing.init(page);
                    ring = new SharedRing.FrontRing(page, Blkif.ENTRY_SIZE);
                    ringRef = io.grantAccess(io.backendId(), ringGfn, false);
                    if (firmwareIo == FirmwareIo.OVMF) { // no timer: every request is busy-polled to its end
                        writeRingInfo(done);
                        return;
                    }
                    pollTimer = bs.createEvent(UefiEvent.EVT_TIMER | UefiEvent.EVT_NOTIFY_SIGNAL, Tpl.CALLBACK,
                            (e, d) -> {
                                pollRing();
                                d.run();
                            }, NAME + "/poll");
                    writeRingInfo(done);
                });
                }));
            });
        }

        private void writeRingInfo(Consumer<EfiStatus> done) {
            io.xsTransactionStart((tx, err) -> {
                if (err != null) {
                    fail(done);
                    return;
                }
                io.xsPrintf(tx, "ring-ref", Integer.toString(ringRef), e1 ->
                    io.xsPrintf(tx, "event-channel", Integer.toString(port), e2 ->
                        io.xsPrintf(tx, "protocol", "x86_64-abi", e3 ->
                            io.setState(tx, XenbusState.Connected, e4 -> {
                                boolean bad = e1 != null || e2 != null || e3 != null || e4 != null;
                                io.xsTransactionEnd(tx, bad, eEnd -> {
                                    if ("EAGAIN".equals(eEnd)) {
                                        writeRingInfo(done);
                                    } else if (bad || eEnd != null) {
                                        fail(done);
                                    } else {
                                        io.registerWatchBackend("state", token, ew -> waitForBackendState(XenbusState.Connected, (ok, st) -> {
                                            if (!ok) {
                                                event("FW_WARNING", "detail", "backend not available, state " + st);
                                                fail(done);
                                                return;
                                            }
                                            readBackendInfo(done);
                                        }));
                                    }
                                });
                            }))));
            });
        }

        private void readBackendInfo(Consumer<EfiStatus> done) {
            io.xsBackendRead(0, "info", (info, e1) -> io.xsBackendRead(0, "sectors", (sec, e2) ->
                io.xsBackendRead(0, "sector-size", (ss, e3) -> io.xsBackendRead(0, "feature-barrier", (fb, eB) -> io.xsBackendRead(0, "feature-flush-cache", (ff, e4) -> {
                    try {
                        if (info == null || sec == null || ss == null) throw new NumberFormatException("missing");
                        if ((Long.parseLong(info.trim()) & Blkif.VDISK_READONLY) != 0) readOnly = true;
                        sectors = Long.parseLong(sec.trim());
                        sectorSize = Integer.parseInt(ss.trim());
                        if (sectorSize % 512 != 0) throw new NumberFormatException("sector-size " + sectorSize);
                    } catch (NumberFormatException ex) {
                        event("FW_WARNING", "detail", "bad backend info: " + ex.getMessage());
                        fail(done);
                        return;
                    }
                    flush = "1".equals(ff == null ? null : ff.trim());
                    event("PVBLK_CONNECTED", "sectors", sectors, "ringRef", ringRef, "port", port);
                    done.accept(EfiStatus.EFI_SUCCESS);
                })))));
        }

        private void fail(Consumer<EfiStatus> done) {
            free(() -> done.accept(EfiStatus.EFI_DEVICE_ERROR));
        }

        /** XenPvBlkWaitForBackendState: fails if the backend is already past the expected state. */
        private void waitForBackendState(XenbusState expected, BiConsumer<Boolean, XenbusState> k) {
            io.xsBackendRead(0, "state", (v, err) -> {
                XenbusState st = XenbusState.parse(v);
                if (st == null) {
                    k.accept(false, null);
                } else if (st == expected) {
                    k.accept(true, st);
                } else if (st.code() > expected.code()) {
                    k.accept(false, st);
                } else {
                    io.waitForWatch(token, w -> {
                        if (w == null) k.accept(false, st); else waitForBackendState(expected, k);
                    });
                }
            });
        }

        // --- I/O --------------------------------------------------------------------------------

        @Override
        public void submit(boolean write, long lba, int blocks, byte[] data, Buffer buffer, Consumer<Completion> k, Runnable issued) {
            if (handoff || ring == null) {
                k.accept(new Completion(EfiStatus.EFI_DEVICE_ERROR, null));
                issued.run();
                return;
            }
            if (blocks <= 0 || lba < 0 || lba + blocks > sectors || blocks > Blkif.BLKIF_MAX_SEGMENTS_PER_REQUEST * Blkif.SECTORS_PER_PAGE
                    || (write && (readOnly || data == null || data.length < blocks * BLOCK_SIZE))
                    || (firmwareIo == FirmwareIo.OVMF && buffer.pages() * Blkif.SECTORS_PER_PAGE < blocks)) {
                k.accept(new Completion(EfiStatus.EFI_INVALID_PARAMETER, null));
                issued.run();
                return;
            }
            bs.cpu().waitUntil("pvblk queue slot", () -> {
                pollRing();
                return ring == null || inflight.size() < queueDepth && !ring.full();
            }, () -> {
                if (ring == null) {
                    k.accept(new Completion(EfiStatus.EFI_DEVICE_ERROR, null));
                    issued.run();
                    return;
                }
                Completion[] slot = new Completion[1];
                issue(write ? Blkif.BLKIF_OP_WRITE : Blkif.BLKIF_OP_READ, lba, blocks, data, buffer, c -> {
                    slot[0] = c;
                    k.accept(c);
                });
                if (firmwareIo == FirmwareIo.OVMF) waitDone(slot, issued); // XenPvBlockIo: poll until it is done
                else issued.run();
            });
        }

        private void issue(int op, long lba, int blocks, byte[] data, Buffer buffer, Consumer<Completion> k) {
            int pages = (blocks + Blkif.SECTORS_PER_PAGE - 1) / Blkif.SECTORS_PER_PAGE;
            boolean bounce = firmwareIo == FirmwareIo.ASYNC;
            long buf = pages == 0 ? -1 : bounce ? bs.allocatePages(EfiMemoryType.EfiBootServicesData, pages) : buffer.gfn();
            if (pages > 0 && buf < 0) {
                k.accept(new Completion(EfiStatus.EFI_OUT_OF_RESOURCES, null));
                return;
            }
            boolean write = op == Blkif.BLKIF_OP_WRITE;
            int[] refs = new int[pages];
            Blkif.Segment[] segs = new Blkif.Segment[pages];
            for (int i = 0; i < pages; i++) {
                PageBytes p = bs.memory().page(buf + i);
                int first = 0;
                int last = Math.min(Blkif.SECTORS_PER_PAGE, blocks - i * Blkif.SECTORS_PER_PAGE) - 1;
                if (write) p.putBytes(0, data, i * PageBytes.PAGE_SIZE, (last + 1) * BLOCK_SIZE);
                refs[i] = io.grantAccess(io.backendId(), buf + i, write); // edk2: ReadOnly = IsWrite
                segs[i] = new Blkif.Segment(refs[i], first, last);
            }
            long id = nextId++;
            Blkif.Request r = op == Blkif.BLKIF_OP_FLUSH_DISKCACHE ? Blkif.Request.noData(op, io.deviceId(), id)
                    : Blkif.Request.readWrite(op, io.deviceId(), id, lba, segs);
            Blkif.writeRequest(ring.page(), ring.slot(ring.reqProdPvt), r);
            ring.reqProdPvt++;
            inflight.put(id, new Req(id, write, lba, blocks, buf, pages, refs, bounce, k));
            event("FW_IO_SUBMIT", "id", id, "op", Blkif.opName(op), "lba", lba, "blocks", blocks);
            armPoll();
            if (ring.pushRequestsAndCheckNotify()) io.eventChannelNotify(port, () -> { }); // evtchn_send does not block
        }

        private void armPoll() {
            if (!pollTimerArmed && pollTimer != null && !bs.exited() && !pollTimer.isClosed()) {
                bs.setTimer(pollTimer, BootServices.TimerDelay.TimerPeriodic, POLL_PERIOD_NANOS);
                pollTimerArmed = true;
            }
        }

        /** XenPvBlockAsyncIoPoll: consumes responses, ends the grants, completes the requests. */
        public void pollRing() {
            if (ring == null) return;
            io.eventChannelTestAndClear(port);
            do {
                while (ring.unconsumedResponses() > 0) {
                    Blkif.Response rsp = Blkif.readResponse(ring.page(), ring.slot(ring.rspCons));
                    ring.rspCons++;
                    Req req = inflight.remove(rsp.id());
                    if (req == null) continue;
                    complete(req, rsp.status());
                }
            } while (ring.finalCheckForResponses());
            if (inflight.isEmpty() && pollTimerArmed && !bs.exited() && !pollTimer.isClosed()) {
                bs.setTimer(pollTimer, BootServices.TimerDelay.TimerCancel, 0);
                pollTimerArmed = false;
            }
        }

        private void complete(Req req, int status) {
            completed++;
            for (int ref : req.refs()) io.grantEndAccess(ref);
            byte[] data = null;
            if (!req.write() && status == Blkif.BLKIF_RSP_OKAY && req.pages() > 0) {
                data = new byte[req.blocks() * BLOCK_SIZE];
                for (int i = 0; i < req.pages(); i++) {
                    int len = Math.min(PageBytes.PAGE_SIZE, data.length - i * PageBytes.PAGE_SIZE);
                    bs.memory().page(req.bufGfn() + i).getBytes(0, data, i * PageBytes.PAGE_SIZE, len);
                }
            }
            if (req.bounce() && req.pages() > 0 && !handoff && !bs.exited()) bs.freePages(req.bufGfn(), req.pages());
            event("FW_IO_DONE", "id", req.id(), "status", Blkif.statusName(status));
            req.k().accept(new Completion(status == Blkif.BLKIF_RSP_OKAY ? EfiStatus.EFI_SUCCESS : EfiStatus.EFI_DEVICE_ERROR, data));
        }

        private void waitDone(Completion[] slot, Runnable then) {
            bs.cpu().waitUntil("pvblk I/O", () -> {
                pollRing();
                return slot[0] != null;
            }, then);
        }

        @Override
        public void readBlocks(long lba, int blocks, Buffer buffer, BiConsumer<EfiStatus, byte[]> k) {
            Completion[] slot = new Completion[1];
            submit(false, lba, blocks, null, buffer, c -> slot[0] = c, () -> waitDone(slot, () -> k.accept(slot[0].status(), slot[0].data())));
        }

        @Override
        public void writeBlocks(long lba, byte[] data, Buffer buffer, Consumer<EfiStatus> k) {
            Completion[] slot = new Completion[1];
            submit(true, lba, data.length / BLOCK_SIZE, data, buffer, c -> slot[0] = c, () -> waitDone(slot, () -> k.accept(slot[0].status())));
        }

        @Override
        public void flushBlocks(Consumer<EfiStatus> k) {
            if (!flush) {
                k.accept(EfiStatus.EFI_SUCCESS);
                return;
            }
            Completion[] slot = new Completion[1];
            bs.cpu().waitUntil("pvblk queue slot", () -> {
                pollRing();
                return inflight.size() < queueDepth && !ring.full();
            }, () -> {
                issue(Blkif.BLKIF_OP_FLUSH_DISKCACHE, 0, 0, null, Buffer.NONE, c -> slot[0] = c);
                waitDone(slot, () -> k.accept(slot[0].status()));
            });
        }

        /** XenPvBlockSync: polls until nothing is in flight. */
        public void sync(Runnable then) {
            bs.cpu().waitUntil("XenPvBlockSync", () -> {
                pollRing();
                return inflight.isEmpty();
            }, then);
        }

        // --- XenPvBlockFrontShutdown (edk2, used by Stop) ---------------------------------------

        void shutdown(Runnable then) {
            sync(() -> io.setState(0, XenbusState.Closing, e1 ->
                waitForBackendState(XenbusState.Closing, (ok1, s1) -> {
                    if (!ok1) event("FW_WARNING", "detail", "waiting backend Closing: state " + s1);
                    io.setState(0, XenbusState.Closed, e2 -> waitForBackendState(XenbusState.Closed, (ok2, s2) -> {
                        if (!ok2) event("FW_WARNING", "detail", "waiting backend Closed: state " + s2);
                        io.setState(0, XenbusState.Initialising, e3 -> waitInitWaitOrClosed(() ->
                            io.unregisterWatch(io.backend() + "/state", token, e4 ->
                                io.xsRemove(0, "ring-ref", e5 -> io.xsRemove(0, "event-channel", e6 ->
                                    io.xsRemove(0, "protocol", e7 -> free(then)))))));
                    }));
                })));
        }

        private void waitInitWaitOrClosed(Runnable then) {
            io.xsBackendRead(0, "state", (v, err) -> {
                XenbusState st = XenbusState.parse(v);
                if (st == null || st.code() <= XenbusState.InitWait.code() || st.code() >= XenbusState.Closed.code()) {
                    then.run();
                } else {
                    io.waitForWatch(token, w -> {
                        if (w == null) then.run(); else waitInitWaitOrClosed(then);
                    });
                }
            });
        }

        /** XenPvBlockFree: end the ring grant (refused while mapped), FreePages, close the port, FreePool. */
        private void free(Runnable then) {
            if (ringRef >= 0) io.grantEndAccess(ringRef);
            if (ringGfn >= 0) bs.freePages(ringGfn, 1);
            if (pollTimer != null && !pollTimer.isClosed()) bs.closeEvent(pollTimer);
            ring = null;
            Runnable rest = () -> {
                if (devPool >= 0) bs.freePool(devPool);
                devPool = -1;
                then.run();
            };
            if (port >= 0) {
                int p = port;
                port = -1;
                io.eventChannelClose(p, rest);
            } else {
                rest.run();
            }
        }

        // --- what the designs under debate do at EBS (no memory services, no timers) -------------

        /**
         * Make the backend forget this device's memory without boot services: stop taking I/O,
         * drain in-flight requests by polling the ring with Stall, Closing and poll the backend to
         * Closing, Closed and poll it to Closed, end every grant, close the port. Completions free
         * nothing (the pages are the OS's after EBS anyway).
         */
        public void quiesceForHandoff(Runnable then) {
            handoff = true;
            event("PVBLK_QUIESCE", "inFlight", inflight.size());
            drain(xensim.firmware.xenbus.XenbusPoll.deadline(bs.cpu()), () -> io.setState(0, XenbusState.Closing, e1 -> xensim.firmware.xenbus.XenbusPoll.backendAtLeast(bs, io, XenbusState.Closing, ok1 ->
                io.setState(0, XenbusState.Closed, e2 -> xensim.firmware.xenbus.XenbusPoll.backendAtLeast(bs, io, XenbusState.Closed, ok2 -> {
                    List<Integer> refs = new ArrayList<>();
                    if (ringRef >= 0) refs.add(ringRef);
                    for (Req r : inflight.values()) for (int ref : r.refs()) refs.add(ref);
                    boolean all = true;
                    for (int ref : refs) all &= !io.grantEndAccess(ref).isError();
                    event("PVBLK_QUIESCED", "backendClosed", ok2, "grantsEnded", all, "abandoned", inflight.size());
                    ring = null;
                    int p = port;
                    port = -1;
                    if (p >= 0) io.eventChannelClose(p, then); else then.run();
                })))));
        }

        /** Polls the ring with Stall until nothing is in flight or the poll budget ({@code deadline}) is spent. */
        private void drain(long deadline, Runnable then) {
            pollRing();
            if (inflight.isEmpty() || bs.cpu().now() >= deadline) {
                then.run();
                return;
            }
            bs.cpu().stall(xensim.firmware.xenbus.XenbusPoll.POLL_NANOS, () -> drain(deadline, then));
        }

    }
}
