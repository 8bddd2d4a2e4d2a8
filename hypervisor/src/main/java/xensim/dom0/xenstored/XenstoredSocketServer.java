package xensim.dom0.xenstored;

import akka.actor.typed.ActorRef;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The unix-domain socket dom0 tools connect to (what {@code XENSTORED_PATH} names): plain xs_wire
 * in both directions, one privileged connection per client. I/O threads only move bytes; the
 * {@link XenstoredActor} owns all state.
 */
public final class XenstoredSocketServer implements AutoCloseable {
    private final Path path;
    private final ServerSocketChannel server;
    private final ActorRef<XenstoredActor.Command> xenstored;
    private final AtomicInteger ids = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean closed;

    public XenstoredSocketServer(Path path, ActorRef<XenstoredActor.Command> xenstored) throws IOException {
        this.path = path;
        this.xenstored = xenstored;
        Files.deleteIfExists(path);
        if (path.toAbsolutePath().getParent() != null) Files.createDirectories(path.toAbsolutePath().getParent());
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        acceptor = new Thread(this::acceptLoop, "xenstored-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                int id = ids.incrementAndGet();
                Object writeLock = new Object();
                xenstored.tell(new XenstoredActor.SocketOpened(id, bytes -> {
                    synchronized (writeLock) {
                        try {
                            ByteBuffer b = ByteBuffer.wrap(bytes);
                            while (b.hasRemaining()) ch.write(b);
                        } catch (IOException e) {
                            // the client went away; its reader thread reports the close
                        }
                    }
                }, () -> closeQuietly(ch)));
                Thread reader = new Thread(() -> readLoop(id, ch), "xenstored-client-" + id);
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                if (!closed) continue;
                return;
            }
        }
    }

    private void readLoop(int id, SocketChannel ch) {
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
            // connection reset
        } finally {
            closeQuietly(ch);
            xenstored.tell(new XenstoredActor.SocketClosed(id));
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        Files.deleteIfExists(path);
    }
}
