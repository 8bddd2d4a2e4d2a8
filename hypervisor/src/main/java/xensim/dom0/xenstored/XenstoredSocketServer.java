package xensim.dom0.xenstored;

import akka.actor.typed.ActorRef;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The unix-domain socket dom0 tools connect to (what {@code XENSTORED_PATH} names): plain xs_wire
 * in both directions, one privileged connection per client. I/O threads only move bytes; the
 * {@link XenstoredActor} owns all state. Each client has a reader thread, which hands its bytes
 * to the actor, and a writer thread, which drains the client's {@link OutputQueue} at the pace
 * the client reads (C xenstored's handle_input and write_messages, called from its poll loop):
 * the actor never blocks on a client.
 *
 * <p>Binding refuses a path that holds anything but a stale socket (C xenstored's init_sockets
 * unlinks whatever is there; a simulator must not delete a user's file), and refuses a socket a
 * live server still answers on. {@link #close} removes the socket file.
 */
public final class XenstoredSocketServer implements AutoCloseable {

    /** The path cannot be served: something that is not a stale socket is there. Bad input. */
    public static final class PathInUseException extends IOException {
        public PathInUseException(String message) {
            super(message);
        }
    }

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path path;
    private final ServerSocketChannel server;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, SocketChannel> clients = new ConcurrentHashMap<>();
    private volatile ActorRef<XenstoredActor.Command> xenstored;
    private Thread acceptor;
    private volatile boolean closed;

    /** Binds {@code path} and serves {@code xenstored} on it. */
    public XenstoredSocketServer(Path path, ActorRef<XenstoredActor.Command> xenstored) throws IOException {
        this(path);
        serve(xenstored);
    }

    private XenstoredSocketServer(Path path) throws IOException {
        this.path = path;
        checkBindable(path);
        if (path.toAbsolutePath().getParent() != null) Files.createDirectories(path.toAbsolutePath().getParent());
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            server.close();
            throw e;
        }
    }

    /**
     * Binds {@code path} now (so a bad path is known before anything starts); connections wait
     * in the backlog until {@link #serve} names the xenstored.
     */
    public static XenstoredSocketServer bind(Path path) throws IOException {
        return new XenstoredSocketServer(path);
    }

    /** Starts accepting clients for {@code xenstored}; once only. */
    public synchronized void serve(ActorRef<XenstoredActor.Command> xenstored) {
        if (this.xenstored != null) throw new IllegalStateException("already serving");
        this.xenstored = xenstored;
        acceptor = new Thread(this::acceptLoop, "xenstored-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Nothing at {@code path}, or a socket nobody answers on (left by a server that died): may
     * bind (a stale socket is removed). Anything else — a regular file, a directory, a link, a
     * socket a live server answers on — is refused with {@link PathInUseException}.
     */
    static void checkBindable(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return;
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            throw new PathInUseException(path + " already exists");
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            String what = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? "a directory"
                    : Files.isSymbolicLink(path) ? "a symbolic link"
                    : Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) ? "a file" : "not a socket";
            throw new PathInUseException(path + " exists and is " + what + " (not replacing it)");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw new PathInUseException(path + " is a socket a running server answers on");
        } catch (PathInUseException e) {
            throw e;
        } catch (IOException refused) {
            Files.deleteIfExists(path); // stale: nobody listens
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                int id = ids.incrementAndGet();
                clients.put(id, ch);
                if (closed) {
                    closeQuietly(ch);
                    return;
                }
                OutputQueue out = new OutputQueue();
                xenstored.tell(new XenstoredActor.SocketOpened(id, out, () -> {
                    out.close();
                    closeQuietly(ch);
                }));
                Thread reader = new Thread(() -> readLoop(id, ch, out), "xenstored-client-" + id);
                reader.setDaemon(true);
                reader.start();
                Thread writer = new Thread(() -> writeLoop(ch, out), "xenstored-client-" + id + "-out");
                writer.setDaemon(true);
                writer.start();
            } catch (IOException e) {
                if (!closed) continue;
                return;
            }
        }
    }

    private void readLoop(int id, SocketChannel ch, OutputQueue out) {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try {
            while (true) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) break;
                byte[] data = new byte[n];
                buf.flip();
                buf.get(data);
                xenstored.tell(new XenstoredActor.SocketBytes(id, data));
            }
        } catch (IOException e) {
            // connection reset, or closed by xenstored
        } finally {
            out.close();
            closeQuietly(ch);
            clients.remove(id);
            xenstored.tell(new XenstoredActor.SocketClosed(id));
        }
    }

    /** write_messages at the client's pace: blocks this thread only. */
    private static void writeLoop(SocketChannel ch, OutputQueue out) {
        try {
            byte[] m;
            while ((m = out.take()) != null) {
                ByteBuffer b = ByteBuffer.wrap(m);
                while (b.hasRemaining()) ch.write(b);
            }
        } catch (IOException | InterruptedException e) {
            // the client went away; its reader reports the close
            out.close();
            closeQuietly(ch);
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** Stops accepting, drops every client and removes the socket file. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (SocketChannel ch : clients.values()) closeQuietly(ch);
        Files.deleteIfExists(path);
    }
}
