package xensim.firmware.ovmfc;

import com.sun.jna.Pointer;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import xensim.firmware.boot.BootDisk;
import xensim.firmware.uefi.EfiStatus;
import xensim.firmware.uefi.Handle;
import xensim.xen.GuestPage;

/**
 * The EFI_BLOCK_IO_PROTOCOL edk2's XenPvBlkDxe installed, as the boot manager's disk: ReadBlocks
 * and WriteBlocks run the C functions on the vCPU, with the loader's own buffer (its
 * EfiLoaderData pages, which XenPvBlkDxe grants to the backend as they are). Synchronous, as
 * OVMF's BlockIo is: nothing is left in flight ({@link #submit} completes before it returns).
 * {@code EFI_BLOCK_IO_PROTOCOL {UINT64 Revision; EFI_BLOCK_IO_MEDIA *Media; Reset; ReadBlocks;
 * WriteBlocks; FlushBlocks}}; the media's BlockSize is at 12, LastBlock at 24.
 */
public final class CBlockIo implements BootDisk {
    private final Shim shim;
    private final Handle handle;
    private final long iface;
    private final long xenbus;

    CBlockIo(Shim shim, Handle handle, long iface, long xenbus) {
        this.shim = shim;
        this.handle = handle;
        this.iface = iface;
        this.xenbus = xenbus;
    }

    public Handle handle() {
        return handle;
    }

    private Pointer media() {
        return new Pointer(new Pointer(iface).getLong(8));
    }

    @Override
    public int deviceId() {
        return xenbus == 0 ? -1 : new Pointer(xenbus).getShort(136) & 0xffff;
    }

    @Override
    public long lastBlock() {
        return media().getLong(24);
    }

    private int mediaId() {
        return media().getInt(0);
    }

    private long fn(int slot) {
        return new Pointer(iface).getLong(16 + 8L * slot);
    }

    @Override
    public void readBlocks(long lba, int blocks, Buffer buffer, BiConsumer<EfiStatus, byte[]> k) {
        int size = blocks * BLOCK_SIZE;
        if (buffer.pages() * 4096L < size) {
            k.accept(EfiStatus.EFI_BAD_BUFFER_SIZE, null);
            return;
        }
        long addr = buffer.gfn() * NativeRam.PAGE;
        shim.callC("BootManager", fn(1), new long[] {iface, mediaId(), lba, size, addr}, v -> {
            EfiStatus st = Shim.status(v);
            if (st.isError()) {
                k.accept(st, null);
                return;
            }
            byte[] out = new byte[size];
            for (int off = 0; off < size; off += 4096) {
                GuestPage p = shim.memory().page(buffer.gfn() + off / 4096);
                p.getBytes(0, out, off, Math.min(4096, size - off));
            }
            k.accept(st, out);
        });
    }

    @Override
    public void writeBlocks(long lba, byte[] data, Buffer buffer, Consumer<EfiStatus> k) {
        if (buffer.pages() * 4096L < data.length) {
            k.accept(EfiStatus.EFI_BAD_BUFFER_SIZE);
            return;
        }
        for (int off = 0; off < data.length; off += 4096) {
            shim.memory().page(buffer.gfn() + off / 4096).putBytes(0, data, off, Math.min(4096, data.length - off));
        }
        shim.callC("BootManager", fn(2), new long[] {iface, mediaId(), lba, data.length, buffer.gfn() * NativeRam.PAGE},
                v -> k.accept(Shim.status(v)));
    }

    @Override
    public void flushBlocks(Consumer<EfiStatus> k) {
        shim.callC("BootManager", fn(3), new long[] {iface}, v -> k.accept(Shim.status(v)));
    }

    @Override
    public void submit(boolean write, long lba, int blocks, byte[] data, Buffer buffer, Consumer<Completion> k, Runnable issued) {
        if (write) writeBlocks(lba, data, buffer, st -> {
            k.accept(new Completion(st, null));
            issued.run();
        });
        else readBlocks(lba, blocks, buffer, (st, d) -> {
            k.accept(new Completion(st, d));
            issued.run();
        });
    }

    @Override
    public int inFlight() {
        return 0;
    }
}
