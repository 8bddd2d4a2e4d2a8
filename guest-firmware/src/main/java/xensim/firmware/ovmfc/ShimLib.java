package xensim.firmware.ovmfc;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Pointer;

/** libxensim-ovmf.so's entry points for the simulator (sysv ABI; see shim.c). */
public interface ShimLib extends Library {
    /** mXsCall: every shim call of the C code. */
    interface XsCall extends Callback {
        long invoke(int op, Pointer args, int count);
    }

    void xs_init(XsCall call);

    long xs_system_table();

    /** 0: XenBusDxeDriverEntryPoint, 1: XenPvBlkDxeDriverEntryPoint. */
    long xs_entry_point(int which);

    /** Calls an EFIAPI function with up to six arguments on the firmware stack. */
    long xs_invoke(long function, long a0, long a1, long a2, long a3, long a4, long a5);

    /** The firmware stack's top (guest-physical; the C code runs on it, the JVM's callbacks on their own). */
    void xs_set_stack(long top);

    /** 1: MemoryFence and CpuPause no longer call the shim (threaded mode: the vCPU runs freely between boot services). */
    void xs_set_free_running(byte on);

    /** The innermost driver function the vCPU is in (entered, not left), as an offset in the library; -1: none. */
    long xs_current_function();
}
