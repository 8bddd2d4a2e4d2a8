package xensim.design;

/** An EFI_HANDLE (a controller); opaque: designs only pass it to {@link EfiBootServices#disconnectController}. */
public interface EfiHandle {
}
