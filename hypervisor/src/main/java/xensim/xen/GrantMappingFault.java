package xensim.xen;

/**
 * A backend touched a grant mapping it may not use: after unmapping it, or writing through a
 * read-only mapping. On hardware this is a page fault in the backend; here the access throws and
 * the granted page is left untouched.
 */
public final class GrantMappingFault extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public GrantMappingFault(String message) {
        super(message);
    }
}
