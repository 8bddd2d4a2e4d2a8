package xensim.design;

/** An EFI_EVENT a design created with {@link EfiBootServices#createEvent}; opaque but for these. */
public interface EfiEvent {
    /** The name it was created with (EBS_NOTIFY_BEGIN's {@code driver}). */
    String owner();

    /** Whether CloseEvent has run on it. */
    boolean isClosed();
}
