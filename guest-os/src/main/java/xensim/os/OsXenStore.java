package xensim.os;

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
import xensim.firmware.uefi.Cpu;
import xensim.firmware.xenbus.EventChannel;
import xensim.platform.EventLog;

/**
 * The OS's xenstore client (Linux xenbus_comms/xenbus_xs). It takes the ring the firmware left as
 * Linux's xb_init_comms (drivers/xen/xenbus/xenbus_comms.c) does: it never performs the ring
 * reconnection protocol (XENSTORE_SERVER_FEATURE_RECONNECTION is ignored), it only complains when
 * the request ring is not quiescent (req_prod != req_cons: the "request ring is not quiescent"
 * pr_err, logged as OS_XS_NOT_QUIESCENT) and fixes up {@code rsp_cons = rsp_prod} when responses
 * are left unread (the "response queue not empty" warning, OS_XS_FIXUP). Then, as xs_reset_watches
 * (xenbus_xs.c) does for an HVM guest, it sends XS_RESET_WATCHES only when the toolstack wrote
 * {@code control/platform-feature-xs_reset_watches} non-zero (libxl writes it for every guest).
 */
public final class OsXenStore {
    public static final String COMP = "os";

    public record WatchEvent(String path, String token) {}

    private final int dom;
    private final EventLog log;
    private final Cpu cpu;
    private final EventChannel evtchn;
    private final PageBytes ring;
    private final int port;
    private final XsFramer framer = new XsFramer();
    private final ArrayDeque<XsMessage> replies = new ArrayDeque<>();
    private final List<WatchEvent> watches = new ArrayList<>();
    private final byte[] buf = new byte[XENSTORE_RING_SIZE];
    private int nextReqId = 0x4000;

    public OsXenStore(int dom, EventLog log, Cpu cpu, EventChannel evtchn, PageBytes ring, int port) {
        this.dom = dom;
        this.log = log;
        this.cpu = cpu;
        this.evtchn = evtchn;
        this.ring = ring;
        this.port = port;
    }

    /**
     * xs_init → xb_init_comms, then xs_reset_watches; reports the method used: {@code rsp-fixup}
     * (unread responses skipped) or {@code as-left}, with {@code +reset-watches} when the feature
     * node let it send XS_RESET_WATCHES.
     */
    public void connect(long timeoutAlarmNanos, Consumer<String> then) {
        int reqCons = ring.getIntAcquire(XenstoreRing.REQ_CONS);
        int reqProd = ring.getIntAcquire(XenstoreRing.REQ_PROD);
        if (reqCons != reqProd) {
            // Linux only complains: the unconsumed requests stay and xenstored answers them later
            log.event(dom, COMP, "OS_XS_NOT_QUIESCENT").with("reqCons", reqCons).with("reqProd", reqProd).emit();
        }
        int cons = ring.getIntAcquire(XenstoreRing.RSP_CONS);
        int prod = ring.getIntAcquire(XenstoreRing.RSP_PROD);
        String method = "as-left";
        if (cons != prod) {
            log.event(dom, COMP, "OS_XS_FIXUP").with("rspCons", cons).with("rspProd", prod).emit();
            ring.putIntRelease(XenstoreRing.RSP_CONS, prod);
            method = "rsp-fixup";
        }
        String m = method;
        read("control/" + XS_RESET_WATCHES_FEATURE, (value, err) -> {
            if (err == null && featureOn(value)) {
                talk(XS_RESET_WATCHES, 0, List.of(""), r -> then.accept(m + "+reset-watches"));
            } else {
                then.accept(m);
            }
        });
    }

    /** The node libxl writes under the guest's control/ directory (libxl__domain_make). */
    public static final String XS_RESET_WATCHES_FEATURE = "platform-feature-xs_reset_watches";

    /** xenbus_read_unsigned(..., 0): an unsigned decimal, 0 when absent or unparsable. */
    private static boolean featureOn(String value) {
        if (value == null) return false;
        try {
            return Long.parseUnsignedLong(value.trim()) != 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private void pump() {
        int n = XenstoreRing.readResponse(ring, buf, 0, buf.length);
        if (n <= 0) return;
        for (XsMessage m : framer.feed(buf, 0, n)) {
            if (m.type() == XS_WATCH_EVENT) {
                List<String> s = m.strings();
                watches.add(new WatchEvent(s.isEmpty() ? "" : s.get(0), s.size() > 1 ? s.get(1) : ""));
            } else {
                replies.add(m);
            }
        }
    }

    public void talk(int type, int tx, List<String> args, Consumer<XsMessage> k) {
        int reqId = nextReqId++;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            sb.append(args.get(i));
            if (!(type == XS_WRITE && i == args.size() - 1)) sb.append('\0');
        }
        byte[] bytes = new XsMessage(type, reqId, tx, sb.toString().getBytes(StandardCharsets.UTF_8)).encode();
        write(bytes, 0, () -> {
            XsMessage[] got = new XsMessage[1];
            cpu.waitUntil("os xenstore reply", () -> {
                pump();
                for (Iterator<XsMessage> it = replies.iterator(); it.hasNext(); ) {
                    XsMessage m = it.next();
                    if (m.reqId() == reqId) {
                        it.remove();
                        got[0] = m;
                        return true;
                    }
                }
                return false;
            }, () -> k.accept(got[0]));
        });
    }

    private void write(byte[] bytes, int off, Runnable then) {
        if (off == bytes.length) {
            evtchn.notify(port, then);
            return;
        }
        cpu.waitUntil("os xenstore req space", () -> XenstoreRing.requestBytesAvailable(ring) >= 0
                && XenstoreRing.requestBytesAvailable(ring) < XENSTORE_RING_SIZE, () -> {
                    int n = XenstoreRing.writeRequest(ring, bytes, off, bytes.length - off);
                    write(bytes, off + Math.max(0, n), then);
                });
    }

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

    public void read(String path, BiConsumer<String, String> k) {
        talk(XS_READ, 0, List.of(path), m -> k.accept(error(m) == null ? text(m) : null, error(m)));
    }

    public void write(String path, String value, Consumer<String> k) {
        talk(XS_WRITE, 0, List.of(path, value), m -> k.accept(error(m)));
    }

    public void directory(String path, BiConsumer<List<String>, String> k) {
        talk(XS_DIRECTORY, 0, List.of(path), m -> k.accept(error(m) == null ? m.strings() : List.of(), error(m)));
    }

    public void watch(String path, String token, Consumer<String> k) {
        talk(XS_WATCH, 0, List.of(path, token), m -> k.accept(error(m)));
    }

    public void unwatch(String path, String token, Consumer<String> k) {
        talk(XS_UNWATCH, 0, List.of(path, token), m -> {
            watches.removeIf(w -> w.token().equals(token));
            k.accept(error(m));
        });
    }

    /** True (and consumed) if a watch event for {@code token} arrived. */
    public boolean takeWatch(String token) {
        pump();
        for (Iterator<WatchEvent> it = watches.iterator(); it.hasNext(); ) {
            if (it.next().token().equals(token)) {
                it.remove();
                return true;
            }
        }
        return false;
    }
}
