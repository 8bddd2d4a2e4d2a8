/**
 * The Xen public interface, byte-exact (little-endian x86_64, 4 KiB pages): {@code io/ring.h},
 * {@code io/blkif.h}, {@code io/xs_wire.h}, {@code io/xenbus.h}, {@code grant_table.h},
 * {@code io/console.h}, errno and HVM params. Checked field by field against Debian's
 * {@code libxen-dev} headers by a compiled C program in the tests.
 */
package xensim.abi;
