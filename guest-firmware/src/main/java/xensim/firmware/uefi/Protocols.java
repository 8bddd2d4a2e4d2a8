package xensim.firmware.uefi;

/** Protocol GUIDs the model installs (the values of edk2 GUID variables). */
public final class Protocols {
    private Protocols() {}

    public static final String DEVICE_PATH = "09576e91-6d3f-11d2-8e39-00a0c969723b";
    public static final String BLOCK_IO = "964e5b21-6459-11d2-8e39-00a0c969723b";
    /** gXenIoProtocolGuid: the Xen platform device (XenIoPciDxe / XenIoMmioLib). */
    public static final String XEN_IO = "6efac84f-0ab0-4747-81be-855562590449";
    /** gXenBusProtocolGuid. */
    public static final String XENBUS = "3d3ca290-b9a5-11e3-b75d-b8ac6f7d65e6";
}
