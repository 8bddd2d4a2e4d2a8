package xensim.firmware.uefi;

/** The EFI_STATUS codes the model returns (names as edk2 prints them). */
public enum EfiStatus {
    EFI_SUCCESS, EFI_INVALID_PARAMETER, EFI_UNSUPPORTED, EFI_NOT_READY, EFI_DEVICE_ERROR, EFI_OUT_OF_RESOURCES,
    EFI_NOT_FOUND, EFI_TIMEOUT, EFI_ACCESS_DENIED, EFI_ALREADY_STARTED, EFI_NO_MEDIA, EFI_BAD_BUFFER_SIZE, EFI_BUFFER_TOO_SMALL;

    public boolean isError() {
        return this != EFI_SUCCESS;
    }
}
