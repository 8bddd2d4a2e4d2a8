package xensim.firmware.xenbus;

import static xensim.abi.XsWire.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import xensim.abi.PageBytes;
import xensim.abi.XenstoreRing;
import xensim.abi.XsFramer;
import xensim.abi.XsMessage;
import xensim.firmware.uefi.BootServices;
import xensim.firmware.uefi.EfiMemoryType;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.Tpl;
import xensim.firmware.uefi.UefiEvent;

/**
 * edk2's XenStore.c: the firmware's xenstore client over the ring page of HVM_PARAM_STORE_PFN.
 * Requests are written into the request ring and the vCPU polls the response ring (edk2 "pulls
 * the state of the event channel"). Faithful where the EBS question lives:
 * <ul>
 *   <li>{@code allocating} (edk2 today): every request joins its path into pool memory, every
 *   message read is AllocatePool'd (XenStoreProcessMessage) and freed by its consumer, and every
 *   wait creates and closes a timer event (XenStoreWaitForEvent) — all ALLOC_CALLs. At a TPL above
 *   APPLICATION, WaitForEvent is EFI_UNSUPPORTED, so the wait degrades into a spin on the ring.
 *   The non-allocating variant (static buffers, as the proposals under debate require) polls the
 *   ring without any boot service.</li>
 *   <li>init waits up to 5 s for a quiescent response ring, then fixes it up (rsp_cons = rsp_prod).</li>
 *   <li>deinit: with XENSTORE_SERVER_FEATURE_RECONNECTION, connection=RECONNECT + notify + poll
 *   until the server says CONNECTED; otherwise fill both rings with 0xff and zero the indexes,
 *   store by store in virtual time (xenstored can see the ring half reset).</li>
 * </ul>
 */
public final class XenStore {
    public static final String COMP = "fw.xenbus";
    public static final long INIT_QUIESCE_NANOS = 5_000_000_000L;
    public static final long WAIT_TIMEOUT_NANOS = 1_000_000_000L;
    /**
     * Guest time of one turn of a XenStoreWaitForEvent loop above TPL_APPLICATION (CreateEvent,
     * SetTimer, WaitForEvent, CloseEvent): 200 ns a boot service, as --firmware ovmf-c charges
     * edk2's own code.
     */
    public static final long SPIN_TURN_NANOS = 800;

    /** A watch event: the path that changed and the token of the watch. */
    public record WatchEvent(String path, String token) {}

    private final BootServices bs;
    private final EventChannel evtchn;
    private final boolean allocating;
    private PageBytes ring;
    private int port = -1;
    private final XsFramer framer = new XsFramer();
    private final ArrayDeque<XsMessage> replies = new ArrayDeque<>();
    private final List<WatchEvent> watchEvents = new ArrayList<>();
    private final byte[] buf = new byte[XENSTORE_RING_SIZE];
    private final java.util.IdentityHashMap<Object, long[]> pool = new java.util.IdentityHashMap<>();
    private int nextReqId = 1;
    private int serverFeatures;
    private UefiEvent channelEvent;

    public XenStore(BootServices bs, EventChannel evtchn, boolean allocating) {
        this.bs = bs;
        this.evtchn = evtchn;
        this.allocating = allocating;
    }

    public boolean connected() {
        return ring != null;
    }

    public int port() {
        return port;
    }

    public PageBytes ring() {
        return ring;
    }

    public boolean allocating() {
        return allocating;
    }

    /** XenStoreInit + XenStoreInitComms. */
    public void init(PageBytes page, int port, Runnable then) {
        this.ring = page;
        this.port = port;
        this.serverFeatures = page.getIntAcquire(XenstoreRing.SERVER_FEATURES);
        this.channelEvent = bs.createEvent(UefiEvent.EVT_NOTIFY_WAIT, Tpl.NOTIFY, (e, done) -> {
            if (evtchn.testAndClear(this.port)) bs.signalEvent(e);
            done.run();
        }, "XenStore");
        if (XenstoreRing.responseBytesAvailable(page) == 0) {
            then.run();
            return;
        }
        UefiEvent timer = bs.createEvent(UefiEvent.EVT_TIMER, 0, null, "XenStoreInitComms");
        bs.setTimer(timer, BootServices.TimerDelay.TimerRelative, INIT_QUIESCE_NANOS);
        boolean[] timedOut = {false};
        bs.cpu().waitUntil("xenstore rsp ring quiescent", () -> {
            if (page.getIntAcquire(XenstoreRing.RSP_PROD) == page.getIntAcquire(XenstoreRing.RSP_CONS)) return true;
            timedOut[0] = bs.checkEvent(timer) == EfiStatus.EFI_SUCCESS;
            return timedOut[0];
        }, () -> {
            if (timedOut[0]) {
                bs.log().event(bs.domid(), COMP, "XS_RING_FIXUP").with("rspCons", page.getInt(XenstoreRing.RSP_CONS))
                        .with("rspProd", page.getInt(XenstoreRing.RSP_PROD)).emit();
                page.putIntRelease(XenstoreRing.RSP_CONS, page.getIntAcquire(XenstoreRing.RSP_PROD));
            }
            bs.closeEvent(timer);
            then.run();
        });
    }

    /** Reads what the server wrote into the response ring (what XenStoreReadStore does while waiting). */
    private void pump() {
        if (ring == null) return;
        int n = XenstoreRing.readResponse(ring, buf, 0, buf.length);
        if (n <= 0) return;
        for (XsMessage m : framer.feed(buf, 0, n)) {
            long[] blocks = null;
            if (allocating) { // XenStoreProcessMessage: the message and its body come from pool
                blocks = new long[] {bs.allocatePool(EfiMemoryType.EfiBootServicesData, 48),
                    bs.allocatePool(EfiMemoryType.EfiBootServicesData, m.payload().length + 1)};
            }
            Object held;
            if (m.type() == XS_WATCH_EVENT) {
                List<String> s = m.strings();
                WatchEvent w = new WatchEvent(s.isEmpty() ? "" : s.get(0), s.size() > 1 ? s.get(1) : "");
                watchEvents.add(w);
                held = w;
            } else {
                replies.add(m);
                held = m;
            }
            if (blocks != null) pool.put(held, blocks);
        }
    }

    /** The consumer frees the message and its body (FreePool x2), as edk2's callers do. */
    private void consumed(Object m) {
        long[] blocks = pool.remove(m);
        if (blocks == null || bs.exited()) return;
        for (long a : blocks) if (a >= 0) bs.freePool(a);
    }

    /** XenStoreTalkv: sends one request and waits for its reply (an XS_ERROR reply included). */
    public void talk(int type, int txId, List<String> args, Consumer<XsMessage> k) {
        if (ring == null) {
            k.accept(XsMessage.of(XS_ERROR, 0, txId, "EIO"));
            return;
        }
        if (allocating) bs.allocatePool(EfiMemoryType.EfiBootServicesData, 64); // XenStoreJoin / VSPrint buffers
        int reqId = nextReqId++;
        XsMessage req = new XsMessage(type, reqId, txId, payload(type, args));
        byte[] bytes = req.encode();
        writeStore(bytes, 0, () -> waitReply(reqId, k));
    }

    private static byte[] payload(int type, List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            sb.append(args.get(i));
            // WRITE's value is not NUL-terminated; every other string is
            if (!(type == XS_WRITE && i == args.size() - 1)) sb.append('\0');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void writeStore(byte[] bytes, int off, Runnable then) {
        if (off == bytes.length) {
            evtchn.notify(port, then);
            return;
        }
        bs.cpu().waitUntil("xenstore req ring space", () -> ring == null || XenstoreRing.requestBytesAvailable(ring) != XENSTORE_RING_SIZE,
                () -> {
                    if (ring == null) {
                        then.run();
                        return;
                    }
                    int n = XenstoreRing.writeRequest(ring, bytes, off, bytes.length - off);
                    writeStore(bytes, off + Math.max(0, n), then);
                });
    }

    /**
     * One turn of XenStoreReadStore's {@code while (Cons == Prod) { XenStoreWaitForEvent (...);
     * continue; }} above TPL_APPLICATION: WaitForEvent is EFI_UNSUPPORTED at once, so every turn
     * creates, arms and closes a timer event (three ALLOC_CALLs' worth of CreateEvent/CloseEvent
     * inside an EBS notify) until the reply is in the ring. Found by comparing with edk2's own
     * XenStore.c run under --firmware ovmf-c: the model used to create one timer and spin.
     */
    private void spinReply(int reqId, Consumer<XsMessage> k) {
        pump();
        XsMessage m = takeReply(reqId);
        if (m != null) {
            consumed(m);
            k.accept(m);
            return;
        }
        UefiEvent timer = bs.createEvent(UefiEvent.EVT_TIMER, 0, null, "XenStoreWaitForEvent");
        bs.setTimer(timer, BootServices.TimerDelay.TimerRelative, WAIT_TIMEOUT_NANOS);
        bs.closeEvent(timer); // WaitForEvent: EFI_UNSUPPORTED
        bs.cpu().execute("xenstore reply " + reqId + " (spinning)", SPIN_TURN_NANOS, () -> spinReply(reqId, k));
    }

    private XsMessage takeReply(int reqId) {
        for (Iterator<XsMessage> it = replies.iterator(); it.hasNext(); ) {
            XsMessage m = it.next();
            if (m.reqId() == reqId) {
                it.remove();
                return m;
            }
        }
        return null;
    }

    private void waitReply(int reqId, Consumer<XsMessage> k) {
        pump();
        XsMessage m = takeReply(reqId);
        if (m != null) {
            consumed(m);
            k.accept(m);
            return;
        }
        if (!allocating) {
            XsMessage[] got = new XsMessage[1];
            bs.cpu().waitUntil("xenstore reply " + reqId, () -> {
                pump();
                got[0] = takeReply(reqId);
                return got[0] != null;
            }, () -> {
                consumed(got[0]);
                k.accept(got[0]);
            });
            return;
        }
        // XenStoreWaitForEvent: a timer event per wait, WaitForEvent on {channel, timer}
        UefiEvent timer = bs.createEvent(UefiEvent.EVT_TIMER, 0, null, "XenStoreWaitForEvent");
        bs.setTimer(timer, BootServices.TimerDelay.TimerRelative, WAIT_TIMEOUT_NANOS);
        bs.waitForEvent(List.of(channelEvent, timer), (st, idx) -> {
            if (st == EfiStatus.EFI_UNSUPPORTED) { // above TPL_APPLICATION: the loop spins on the ring
                bs.closeEvent(timer);
                bs.cpu().execute("xenstore reply " + reqId + " (spinning)", SPIN_TURN_NANOS, () -> spinReply(reqId, k));
                return;
            }
            bs.closeEvent(timer);
            waitReply(reqId, k);
        });
    }

    // --- the XENBUS_PROTOCOL-facing operations ---------------------------------------------------

    /** The payload as text without its terminating NULs. */
    static String text(XsMessage m) {
        String s = new String(m.payload(), StandardCharsets.UTF_8);
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '\0') end--;
        return s.substring(0, end);
    }

    private static String error(XsMessage m) {
        return m.type() == XS_ERROR ? text(m) : null;
    }

    public void read(int tx, String path, BiConsumer<String, String> k) {
        talk(XS_READ, tx, List.of(path), m -> k.accept(error(m) == null ? text(m) : null, error(m)));
    }

    public void write(int tx, String path, String value, Consumer<String> k) {
        talk(XS_WRITE, tx, List.of(path, value), m -> k.accept(error(m)));
    }

    public void remove(int tx, String path, Consumer<String> k) {
        talk(XS_RM, tx, List.of(path), m -> k.accept(error(m)));
    }

    public void directory(int tx, String path, BiConsumer<List<String>, String> k) {
        talk(XS_DIRECTORY, tx, List.of(path), m -> k.accept(error(m) == null ? m.strings() : List.of(), error(m)));
    }

    public void transactionStart(BiConsumer<Integer, String> k) {
        talk(XS_TRANSACTION_START, 0, List.of(""), m -> {
            String err = error(m);
            k.accept(err == null ? Integer.parseInt(text(m).trim()) : 0, err);
        });
    }

    /** XsTransactionEnd; the error is "EAGAIN" when the transaction must be retried. */
    public void transactionEnd(int tx, boolean abort, Consumer<String> k) {
        talk(XS_TRANSACTION_END, tx, List.of(abort ? "F" : "T"), m -> k.accept(error(m)));
    }

    public void watch(String path, String token, Consumer<String> k) {
        talk(XS_WATCH, 0, List.of(path, token), m -> k.accept(error(m)));
    }

    public void unwatch(String path, String token, Consumer<String> k) {
        talk(XS_UNWATCH, 0, List.of(path, token), m -> {
            watchEvents.removeIf(w -> w.token().equals(token));
            k.accept(error(m));
        });
    }

    /** XenStoreWaitWatch: the next event for {@code token} (waits on the ring). */
    public void waitWatch(String token, Consumer<WatchEvent> k) {
        WatchEvent[] got = new WatchEvent[1];
        bs.cpu().waitUntil("watch " + token, () -> {
            pump();
            for (Iterator<WatchEvent> it = watchEvents.iterator(); it.hasNext(); ) {
                WatchEvent w = it.next();
                if (w.token().equals(token)) {
                    it.remove();
                    got[0] = w;
                    return true;
                }
            }
            return ring == null;
        }, () -> {
            if (got[0] != null) consumed(got[0]);
            k.accept(got[0]);
        });
    }

    /**
     * XenStoreDeinit: RECONNECT when the server offers it, else the racy 0xff reset. Reports the
     * method used ("reconnect" or "ring-0xff").
     */
    public void deinit(Consumer<String> then) {
        if (ring == null) {
            then.accept("none");
            return;
        }
        PageBytes p = ring;
        serverFeatures = p.getIntAcquire(xensim.abi.XenstoreRing.SERVER_FEATURES);
        boolean reconnect = (serverFeatures & XENSTORE_SERVER_FEATURE_RECONNECTION) != 0;
        bs.log().event(bs.domid(), COMP, "XENSTORE_DEINIT").with("method", reconnect ? "reconnect" : "ring-0xff")
                .with("serverFeatures", serverFeatures).emit();
        if (reconnect) {
            p.putIntRelease(XenstoreRing.CONNECTION, XENSTORE_RECONNECT);
            evtchn.notify(port, () -> reconnectWait(p, then));
        } else {
            resetRing(p, 0, () -> finishDeinit("ring-0xff", then));
        }
    }

    /** What one SetMem of a 1 KiB ring costs the vCPU (rep stosb: BaseMemoryLibRepStr). */
    public static final long SETMEM_RING_NANOS = 64;
    /** What one 32-bit store of an index costs the vCPU. */
    public static final long STORE_NANOS = 1;

    /**
     * XenStoreDeinit's reset without RECONNECTION, one store at a time, in program order:
     * {@code SetMem(req, 0xff); SetMem(rsp, 0xff); req_cons = req_prod = 0; rsp_cons = rsp_prod = 0;}
     * — each chained assignment stores its right-hand index first (as GCC emits {@code a = b = 0}),
     * with no barrier and no notify. Each store is a timed step of the vCPU, so xenstored (which
     * looks at the indexes whenever anything wakes it) can find the ring half reset: req_prod 0
     * with req_cons still at its old value is a request ring that fails its sanity check. (GCC's
     * store merging could fuse each pair into one 8-byte store; the model keeps C's stores.)
     */
    private void resetRing(PageBytes p, int step, Runnable then) {
        Runnable next = () -> resetRing(p, step + 1, then);
        switch (step) {
            case 0 -> bs.cpu().execute("SetMem(req, 0xff)", SETMEM_RING_NANOS, () -> {
                p.fill(XenstoreRing.REQ, XENSTORE_RING_SIZE, (byte) 0xff);
                next.run();
            });
            case 1 -> bs.cpu().execute("SetMem(rsp, 0xff)", SETMEM_RING_NANOS, () -> {
                p.fill(XenstoreRing.RSP, XENSTORE_RING_SIZE, (byte) 0xff);
                next.run();
            });
            case 2 -> store(p, XenstoreRing.REQ_PROD, "req_prod = 0", next);
            case 3 -> store(p, XenstoreRing.REQ_CONS, "req_cons = 0", next);
            case 4 -> store(p, XenstoreRing.RSP_PROD, "rsp_prod = 0", next);
            case 5 -> store(p, XenstoreRing.RSP_CONS, "rsp_cons = 0", next);
            default -> then.run();
        }
    }

    private void store(PageBytes p, int offset, String what, Runnable next) {
        bs.cpu().execute(what, STORE_NANOS, () -> {
            p.putIntRelease(offset, 0);
            next.run();
        });
    }

    private void reconnectWait(PageBytes p, Consumer<String> then) {
        if (p.getIntAcquire(XenstoreRing.CONNECTION) != XENSTORE_RECONNECT) {
            finishDeinit("reconnect", then);
            return;
        }
        if (allocating) { // XenStoreWaitForEvent(EventChannelEvent, 100 ms): a timer event each round
            UefiEvent timer = bs.createEvent(UefiEvent.EVT_TIMER, 0, null, "XenStoreWaitForEvent");
            bs.setTimer(timer, BootServices.TimerDelay.TimerRelative, 100_000_000L);
            bs.waitForEvent(List.of(channelEvent, timer), (st, idx) -> {
                if (st == EfiStatus.EFI_UNSUPPORTED) { // a timer event per turn of the loop, as spinReply
                    bs.closeEvent(timer);
                    bs.cpu().execute("xenstore reconnect (spinning)", SPIN_TURN_NANOS, () -> reconnectWait(p, then));
                    return;
                }
                bs.closeEvent(timer);
                reconnectWait(p, then);
            });
        } else {
            bs.cpu().waitUntil("xenstore reconnect", () -> p.getIntAcquire(XenstoreRing.CONNECTION) != XENSTORE_RECONNECT,
                    () -> finishDeinit("reconnect", then));
        }
    }

    private void finishDeinit(String method, Consumer<String> then) {
        ring = null;
        replies.clear();
        watchEvents.clear();
        if (allocating) for (long[] blocks : pool.values()) for (long a : blocks) if (a >= 0) bs.freePool(a);
        pool.clear();
        framer.reset();
        if (allocating && channelEvent != null) bs.closeEvent(channelEvent);
        channelEvent = null;
        then.accept(method);
    }
}
