package xensim.firmware.pvblk;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import xensim.firmware.uefi.EfiStatus;

/**
 * EFI_BLOCK_IO_PROTOCOL (synchronous: the caller's continuation runs when the data is there)
 * plus an asynchronous submit in the spirit of BLOCK_IO2 so a caller can keep requests in flight.
 */
public interface BlockIo {
    int BLOCK_SIZE = 512;

    /** Completion of an asynchronous request; callbacks run from the poller and must not wait. */
    record Completion(EfiStatus status, byte[] data) {}

    long lastBlock();

    void readBlocks(long lba, int blocks, BiConsumer<EfiStatus, byte[]> k);

    void writeBlocks(long lba, byte[] data, Consumer<EfiStatus> k);

    void flushBlocks(Consumer<EfiStatus> k);

    /**
     * Queues a read (data null) or write; {@code issued} continues the caller once the request is
     * on the ring (it may have to wait for a free slot); {@code k} runs when the backend answered.
     */
    void submit(boolean write, long lba, int blocks, byte[] data, Consumer<Completion> k, Runnable issued);

    int inFlight();
}
