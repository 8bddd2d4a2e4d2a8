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

    long xs_invoke(long function, long a0, long a1, long a2, long a3, long a4, long a5);

    long xs_invoke_bool(long function, long a0, long a1, long a2);
}
