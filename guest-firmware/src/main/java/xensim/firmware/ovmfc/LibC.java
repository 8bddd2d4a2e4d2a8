package xensim.firmware.ovmfc;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The few libc calls the native guest RAM needs (glibc, Linux x86_64). */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2;
    int MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000,
            MAP_FIXED_NOREPLACE = 0x100000;
    int MFD_CLOEXEC = 1;

    int memfd_create(String name, int flags);

    int ftruncate(int fd, long length);

    Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

    int munmap(Pointer addr, long length);

    int close(int fd);
}
