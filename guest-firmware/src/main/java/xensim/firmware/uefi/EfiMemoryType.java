package xensim.firmware.uefi;

/** EFI_MEMORY_TYPE (UEFI spec 7.2), the subset a Xen guest's map uses. */
public enum EfiMemoryType {
    EfiReservedMemoryType, EfiLoaderCode, EfiLoaderData, EfiBootServicesCode, EfiBootServicesData,
    EfiRuntimeServicesCode, EfiRuntimeServicesData, EfiConventionalMemory, EfiACPIReclaimMemory, EfiACPIMemoryNVS;

    /** Memory the OS may take once ExitBootServices succeeded (UEFI spec 7.4). */
    public boolean reclaimableByOs() {
        return this == EfiBootServicesCode || this == EfiBootServicesData || this == EfiConventionalMemory
                || this == EfiLoaderCode || this == EfiLoaderData;
    }
}
