package xensim.firmware.pvblk;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import xensim.firmware.uefi.EfiStatus;

/**
 * EFI_BLOCK_IO_PROTOCOL (synchronous: the caller's continuation runs when the data is there)
 * plus an asynchronous submit in the spirit of BLOCK_IO2 so a caller can keep requests in flight
 * (with {@link FirmwareIo#OVMF} it completes before it returns, as OVMF has no BlockIo2). Every
 * call names the caller's buffer: the guest pages the data lives in, which OVMF grants to the
 * backend as they are.
 */
public interface BlockIo {
    int BLOCK_SIZE = 512;

    /** The caller's buffer: {@code pages} guest pages from {@code gfn}; {@link #NONE} when it has none. */
    record Buffer(long gfn, int pages) {
        public static final Buffer NONE = new Buffer(-1, 0);
    }

    /** Completion of an asynchronous request; callbacks run from the poller and must not wait. */
    record Completion(EfiStatus status, byte[] data) {}

    long lastBlock();

    void readBlocks(long lba, int blocks, Buffer buffer, BiConsumer<EfiStatus, byte[]> k);

    void writeBlocks(long lba, byte[] data, Buffer buffer, Consumer<EfiStatus> k);

    void flushBlocks(Consumer<EfiStatus> k);

    /**
     * Queues a read (data null) or write; {@code issued} continues the caller once the request is
     * on the ring (it may have to wait for a free slot); {@code k} runs when the backend answered.
     */
    void submit(boolean write, long lba, int blocks, byte[] data, Buffer buffer, Consumer<Completion> k, Runnable issued);

    int inFlight();
}
