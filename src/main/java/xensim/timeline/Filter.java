package xensim.timeline;

/**
 * What the user asked to see ({@code --guest D}, {@code --from T}, {@code --to T}): it narrows the
 * timelines, the trace and the report, never the check (a verdict is always the whole log's).
 *
 * @param guest only this domain's events ({@code dom} field), or null for all
 * @param from  earliest virtual time shown (ns, inclusive)
 * @param to    latest virtual time shown (ns, inclusive)
 */
public record Filter(Integer guest, long from, long to) {
    public static final Filter ALL = new Filter(null, 0, Long.MAX_VALUE);

    public Filter {
        if (from > to) throw new IllegalArgumentException("--from is after --to");
    }

    public boolean domain(int dom) {
        return guest == null || guest == dom;
    }

    public boolean time(long t) {
        return t >= from && t <= to;
    }

    public boolean matches(LogEvent e) {
        return domain(e.dom()) && time(e.t());
    }

    /** Whether [start, end] overlaps the window. */
    public boolean overlaps(long start, long end) {
        return end >= from && start <= to;
    }

    public boolean isAll() {
        return guest == null && from == 0 && to == Long.MAX_VALUE;
    }
}
