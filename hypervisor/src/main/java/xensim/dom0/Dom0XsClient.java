package xensim.dom0;

import static xensim.abi.XsWire.*;

import akka.actor.typed.ActorRef;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import xensim.abi.XsMessage;
import xensim.dom0.xenstored.XenstoredActor;

/**
 * A dom0 component's xenstore client over an in-process xenstored connection (what libxenstore
 * or the dom0 kernel's xenbus is to a real backend). It lives inside its owner actor: the owner
 * forwards every {@link XsMessage} it receives to {@link #onMessage}; replies run the request's
 * continuation, watch events the watch's handler. Not thread-safe; single owner.
 */
public final class Dom0XsClient {
    private final ActorRef<XenstoredActor.Command> xenstored;
    private int connId = -1;
    private int nextReq = 1;
    private final Map<Integer, Consumer<XsMessage>> pending = new HashMap<>();
    private final Map<String, Consumer<String>> watches = new HashMap<>();

    public Dom0XsClient(ActorRef<XenstoredActor.Command> xenstored) {
        this.xenstored = xenstored;
    }

    /** The connection id from {@link XenstoredActor.Opened}. */
    public void opened(int connId) {
        this.connId = connId;
    }

    public boolean isOpen() {
        return connId >= 0;
    }

    public void close() {
        if (connId >= 0) xenstored.tell(new XenstoredActor.Close(connId));
        connId = -1;
        pending.clear();
        watches.clear();
    }

    public void onMessage(XsMessage m) {
        if (m.type() == XS_WATCH_EVENT) {
            var s = m.strings();
            if (s.size() >= 2) {
                Consumer<String> h = watches.get(s.get(1));
                if (h != null) h.accept(s.get(0));
            }
            return;
        }
        Consumer<XsMessage> k = pending.remove(m.reqId());
        if (k != null) k.accept(m);
    }

    public void request(XsMessage withoutId, Consumer<XsMessage> k) {
        int id = nextReq++;
        pending.put(id, k == null ? x -> { } : k);
        xenstored.tell(new XenstoredActor.Request(connId, new XsMessage(withoutId.type(), id, withoutId.txId(), withoutId.payload())));
    }

    public void write(String path, String value, Consumer<XsMessage> k) {
        request(new XsMessage(XS_WRITE, 0, 0, (path + "\0" + value).getBytes(StandardCharsets.UTF_8)), k);
    }

    /** Reads a value; {@code k} gets null if the node is missing or unreadable. */
    public void read(String path, Consumer<String> k) {
        request(XsMessage.of(XS_READ, 0, 0, path), m -> k.accept(m.type() == XS_ERROR ? null : new String(m.payload(), StandardCharsets.UTF_8)));
    }

    public void rm(String path, Consumer<XsMessage> k) {
        request(XsMessage.of(XS_RM, 0, 0, path), k);
    }

    public void setPerms(String path, Consumer<XsMessage> k, String... perms) {
        String[] args = new String[perms.length + 1];
        args[0] = path;
        System.arraycopy(perms, 0, args, 1, perms.length);
        request(XsMessage.of(XS_SET_PERMS, 0, 0, args), k);
    }

    /** Registers a watch; {@code handler} gets the path of every event (the initial one included). */
    public void watch(String path, String token, Consumer<String> handler) {
        watches.put(token, handler);
        request(XsMessage.of(XS_WATCH, 0, 0, path, token), null);
    }

    public void unwatch(String path, String token) {
        watches.remove(token);
        request(XsMessage.of(XS_UNWATCH, 0, 0, path, token), null);
    }
}
