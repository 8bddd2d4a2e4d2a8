package xensim.firmware.xenbus;

/** XENIO_PROTOCOL: the Xen platform device's resources — where the grant frames go. */
public record XenIo(long grantTableGfn) {}
