package xensim.firmware.ovmfc;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The guest's vCPU while edk2's C code runs: a thread of its own, handed control like a
 * coroutine. The simulation side (the firmware actor's thread) gives the vCPU a call to make (an
 * entry point, a driver binding's Start, an event's notify function) and blocks; the vCPU runs C
 * until the C code calls into the shim (a boot service, a hypercall, MemoryFence, CpuPause, a
 * DEBUG message) or returns, and then blocks while the simulation handles that; a shim handler
 * may call C again (DisconnectController calling a driver's Stop), nested like the C stack. So
 * exactly one of the two runs at any time, and what the simulation sees depends only on the
 * seed: deterministic runs stay byte-identical.
 *
 * <p>A vCPU that runs longer than {@link #spinBoundMillis} without any shim call spins on memory
 * nothing will change while it runs: the handler is told (FW_SPIN) and the vCPU is abandoned.
 *
 * <p>Each vCPU loads its own copy of the library (a copy per run), so the drivers' globals
 * (XenBusDxe's mMyDevice, the xenstore state) start fresh. A vCPU that never returns (a parked
 * firmware, an ASSERT) leaves its thread blocked; it is a daemon.
 */
public final class Vcpu {
    /** What the vCPU thread reports: a shim call, or that the call it was given returned. */
    private sealed interface Up permits ShimCall, Returned {}

    record ShimCall(int op, long[] args) implements Up {}

    private record Returned(long value) implements Up {}

    /** What the vCPU is told: make a call, or here is the shim call's answer. */
    private sealed interface Down permits Call, Reply {}

    private record Call(long fn, long[] args, boolean bool) implements Down {}

    private record Reply(long value) implements Down {}

    /** Handles a shim call; the handler answers with {@link #reply(long)} now or later (or never). */
    public interface Handler {
        void shimCall(int op, long[] args);

        /** The vCPU ran {@code millis} of wall-clock time without a shim call after {@code lastOp}. */
        void spin(int lastOp, long millis);
    }

    private final ShimLib lib;
    private final Thread thread;
    private final SynchronousQueue<Up> up = new SynchronousQueue<>();
    private final SynchronousQueue<Down> down = new SynchronousQueue<>();
    private final ArrayDeque<LongConsumer> returns = new ArrayDeque<>();
    private final ShimLib.XsCall callback;
    private final long spinBoundMillis;
    private Handler handler;
    private Down outgoing;
    private boolean driving;
    private boolean dead;
    private int lastOp;
    private long shimCalls;
    private final Path library;

    /** Loads a private copy of {@code library} and starts the (idle) vCPU thread. */
    public Vcpu(Path library, String name, long spinBoundMillis) {
        this.spinBoundMillis = spinBoundMillis;
        this.library = library;
        Path copy;
        try {
            copy = Files.createTempFile("xensim-ovmf-", ".so");
            Files.copy(library, copy, StandardCopyOption.REPLACE_EXISTING);
            copy.toFile().deleteOnExit();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.lib = Native.load(copy.toString(), ShimLib.class);
        this.callback = (op, args, count) -> onShimCall(op, args == null ? new long[0] : args.getLongArray(0, count));
        this.thread = new Thread(null, this::run, name, 16L << 20);
        thread.setDaemon(true);
    }

    public void setHandler(Handler h) {
        this.handler = h;
    }

    private static final java.util.List<Vcpu> STARTED = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** xs_init on the vCPU thread, then idle. */
    public void start() {
        STARTED.add(this);
        thread.start();
    }

    /** Ends every vCPU thread (idle ones exit; one inside C stays parked, never returning into C). After a simulation. */
    public static void stopAll() {
        for (Vcpu v : STARTED) {
            v.dead = true;
            v.thread.interrupt();
        }
        STARTED.clear();
    }

    public ShimLib lib() {
        return lib;
    }

    /**
     * The C function the vCPU is in now, as {@code Name (File.c:line)} from the symbol list build.sh
     * writes beside the library ({@code nm -l}); null when it cannot tell (no driver function
     * entered, or no list). Read while the vCPU spins: the drivers are built with
     * -finstrument-functions, so the shim knows the innermost function entered and not yet left.
     */
    public String currentFunction() {
        long off = lib.xs_current_function();
        if (off < 0) return null;
        Path syms = library.resolveSibling(library.getFileName() + ".syms");
        try (java.util.stream.Stream<String> lines = Files.lines(syms)) {
            String hex = String.format("%016x", off);
            return lines.map(l -> l.split("\t"))
                    .filter(f -> f.length >= 2 && f[0].equalsIgnoreCase(hex))
                    .map(f -> f[1] + (f.length > 2 && !f[2].isBlank() ? " (" + f[2] + ")" : ""))
                    .findFirst().orElse(null);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }

    public long shimCalls() {
        return shimCalls;
    }

    public boolean dead() {
        return dead;
    }

    // ---- the vCPU thread ------------------------------------------------------------------------

    private void run() {
        lib.xs_init(callback);
        try {
            while (true) {
                Down d = down.take();
                if (d instanceof Call c) up.put(new Returned(invoke(c)));
            }
        } catch (InterruptedException e) {
            // abandoned
        }
    }

    private long invoke(Call c) {
        long[] a = c.args();
        long[] x = new long[6];
        System.arraycopy(a, 0, x, 0, Math.min(6, a.length));
        long v = lib.xs_invoke(c.fn(), x[0], x[1], x[2], x[3], x[4], x[5]);
        return c.bool() ? v & 0xff : v; // BOOLEAN: only AL is defined
    }

    /** On the vCPU thread, inside C: hand the call over and serve nested calls until the answer. */
    private long onShimCall(int op, long[] args) {
        try {
            up.put(new ShimCall(op, args));
            while (true) {
                Down d = down.take();
                if (d instanceof Reply r) return r.value();
                Call c = (Call) d;
                up.put(new Returned(invoke(c)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            while (true) LockSupportPark.park(); // never return into C once abandoned
        }
    }

    /** Parks forever (an abandoned vCPU must not run C again). */
    private static final class LockSupportPark {
        static void park() {
            java.util.concurrent.locks.LockSupport.park();
        }
    }

    // ---- the simulation side --------------------------------------------------------------------

    /** Calls an EFIAPI function on the vCPU; {@code k} gets its return value once it returned. */
    public void call(long fn, long[] args, LongConsumer k) {
        returns.push(k);
        send(new Call(fn, args, false));
    }

    /** As {@link #call} for a function returning BOOLEAN. */
    public void callBool(long fn, long[] args, LongConsumer k) {
        returns.push(k);
        send(new Call(fn, args, true));
    }

    /** Answers the shim call the vCPU is waiting in. */
    public void reply(long value) {
        send(new Reply(value));
    }

    private void send(Down d) {
        if (dead) return;
        if (outgoing != null) throw new IllegalStateException("the vCPU was given two things at once");
        outgoing = d;
        if (!driving) drive();
    }

    /** Runs the vCPU until the simulation has to wait for something (a shim call it answers later). */
    private void drive() {
        driving = true;
        try {
            while (outgoing != null && !dead) {
                Down d = outgoing;
                outgoing = null;
                Up u = exchange(d);
                if (u == null) return;
                handle(u);
            }
        } finally {
            driving = false;
        }
    }

    private Up exchange(Down d) {
        try {
            down.put(d);
            Up u = up.poll(spinBoundMillis, TimeUnit.MILLISECONDS);
            if (u == null) {
                dead = true;
                handler.spin(lastOp, spinBoundMillis);
                return null;
            }
            return u;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dead = true;
            return null;
        }
    }

    /** Runs whenever control passes from C to the simulation (a shim call, a return): what the C code stored since is now visible. */
    private Runnable fromC = () -> {};

    public void onControlFromC(Runnable r) {
        this.fromC = r;
    }

    private void handle(Up u) {
        fromC.run();
        if (u instanceof Returned r) {
            returns.pop().accept(r.value());
        } else {
            ShimCall s = (ShimCall) u;
            shimCalls++;
            lastOp = s.op();
            handler.shimCall(s.op(), s.args());
        }
    }

    /**
     * Calls {@code fn} and returns its value before returning, answering its shim calls with
     * {@code sync} (which must answer each at once: a notify function of a wait event, a driver's
     * Supported). Only when nothing else is being driven at this level.
     */
    public long callNow(long fn, long[] args, boolean bool, SyncHandler sync) {
        if (dead) return 0;
        Up u = exchange(new Call(fn, args, bool));
        while (u != null) {
            fromC.run();
            if (u instanceof Returned r) return r.value();
            ShimCall s = (ShimCall) u;
            shimCalls++;
            lastOp = s.op();
            long v = sync.shimCallNow(s.op(), s.args());
            u = exchange(new Reply(v));
        }
        return 0;
    }

    /** Answers a shim call at once. */
    public interface SyncHandler {
        long shimCallNow(int op, long[] args);
    }

    /** True when a shim call is waiting for {@link #reply} (the vCPU is inside C). */
    public boolean busy() {
        return !returns.isEmpty();
    }

    /** Reads pointer {@code p} (C memory: the C stack, the drivers' data, guest RAM). */
    public static Pointer ptr(long p) {
        return new Pointer(p);
    }
}
