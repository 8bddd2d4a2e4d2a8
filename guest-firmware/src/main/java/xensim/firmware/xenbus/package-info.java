/**
 * OvmfPkg/XenBusDxe: hypercalls, event channels, the grant table, the xenstore client and the
 * bus driver that gives each device a XENBUS_PROTOCOL ({@link xensim.firmware.xenbus.XenBusIo}).
 */
package xensim.firmware.xenbus;
