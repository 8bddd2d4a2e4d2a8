package xensim.design;

/** The EFI_STATUS values a design can be given (names as edk2 prints them, without the EFI_ prefix). */
public enum Status {
    SUCCESS, INVALID_PARAMETER, UNSUPPORTED, NOT_READY, DEVICE_ERROR, OUT_OF_RESOURCES, NOT_FOUND, TIMEOUT, ACCESS_DENIED,
    ALREADY_STARTED, NO_MEDIA, BAD_BUFFER_SIZE, BUFFER_TOO_SMALL;

    public boolean isError() {
        return this != SUCCESS;
    }
}
