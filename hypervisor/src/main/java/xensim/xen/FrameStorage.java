package xensim.xen;

import xensim.abi.PageBytes;

/**
 * Where a {@link Page}'s 4 KiB live: a Java array (the default) or native memory that a
 * {@link MemoryBacking} also maps at the guest-physical address a real CPU would use (the
 * real-OVMF mode, where edk2's C drivers read and write guest RAM through pointers).
 */
public interface FrameStorage extends PageBytes {
    /** Atomic compare-and-set of an aligned 32-bit word (Xen's cmpxchg on grant entries). */
    boolean compareAndSetInt(int off, int expect, int update);

    /** A page on the Java heap. */
    final class Heap extends xensim.abi.ByteArrayPage implements FrameStorage {}
}
