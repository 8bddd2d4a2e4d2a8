package xensim.nemesis;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import xensim.timeline.VirtualTime;

/**
 * One fault to inject, as the user wrote it: {@code kind@trigger:key=value,key=value}.
 *
 * <ul>
 *   <li>kinds: {@link Kind}, named as on the command line ({@code backend-stall}, ...);</li>
 *   <li>triggers: a virtual time ({@code 5ms}: that long after the run began), an event
 *       ({@code ebs-begin}, {@code os-handoff}), {@code requests=N} (at a guest's N-th blkif
 *       request), or {@code p=0.1} (with that probability at each opportunity: each blkif request
 *       for backend and ring faults and domain-destroy, each event-channel send for evtchn
 *       faults, each grant map for grant-map-eagain, each xenstore request for xenstored-restart);</li>
 *   <li>parameters: {@code guest=N|all} (default all), {@code disk=N|all} (default all),
 *       {@code duration} (stall, xenstored outage; default 5ms), {@code factor} (slow; 10),
 *       {@code delay} (evtchn-delay; 1ms), {@code count} (evtchn and grant faults: how many
 *       operations it hits; 1), {@code what} (ring-corrupt: request, response or data; request),
 *       {@code max} (how many times a probability trigger may fire; unlimited); for the planted
 *       backend bug {@code backend-lost-writes}, {@code count} is how many re-served WRITEs it hits,
 *       for {@code backend-respond-before-unmap} how many responses of requests with mapped data
 *       grants (default, both: every one from the trigger on).</li>
 * </ul>
 */
public record Fault(Kind kind, Trigger trigger, int guest, int disk, Map<String, String> params, String text) {

    /**
     * The kinds as the {@code --fault} help lists them (a constant for picocli's annotations;
     * FaultParseTest keeps it equal to {@link Kind}).
     */
    public static final String KINDS_HELP = "kinds: backend-crash, backend-stall, backend-slow, xenstored-restart, evtchn-drop,"
            + " evtchn-dup, evtchn-delay, ring-corrupt, grant-map-eagain, domain-destroy, and the planted backend bugs"
            + " backend-lost-writes (a restarted backend acknowledges re-served WRITEs it never wrote) and"
            + " backend-respond-before-unmap (responses pushed and notified before the data grants are unmapped)";

    /** The kinds of DESIGN.md §7. */
    public enum Kind {
        BACKEND_CRASH, BACKEND_STALL, BACKEND_SLOW, XENSTORED_RESTART, EVTCHN_DROP, EVTCHN_DUP, EVTCHN_DELAY,
        RING_CORRUPT, GRANT_MAP_EAGAIN, DOMAIN_DESTROY,
        /** A planted backend bug ({@link xensim.dom0.blkback.BackendDefect#LOST_WRITES}): a backend that breaks the blkif contract. */
        BACKEND_LOST_WRITES,
        /**
         * A planted backend bug ({@link xensim.dom0.blkback.BackendDefect#RESPOND_BEFORE_UNMAP}): the
         * response is pushed and notified before the request's data grants are unmapped.
         */
        BACKEND_RESPOND_BEFORE_UNMAP;

        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Kind parse(String s) {
            for (Kind k : values()) if (k.cliName().equals(s)) return k;
            return null;
        }

        static String names() {
            StringBuilder sb = new StringBuilder();
            for (Kind k : values()) sb.append(sb.length() == 0 ? "" : ", ").append(k.cliName());
            return sb.toString();
        }
    }

    /** When a fault fires. */
    public sealed interface Trigger {
        /** What the trigger looks like on the command line. */
        String text();
    }

    public record AtTime(long nanos) implements Trigger {
        public String text() {
            return VirtualTime.format(nanos).replace(" ", "");
        }
    }

    public record AtEvent(String name, String ev) implements Trigger {
        public String text() {
            return name;
        }
    }

    public record AfterRequests(long n) implements Trigger {
        public String text() {
            return "requests=" + n;
        }
    }

    public record WithProbability(double p) implements Trigger {
        public String text() {
            return "p=" + p;
        }
    }

    /** Trigger events by name: the event in the vocabulary that fires them. */
    static final Map<String, String> EVENTS = Map.of("ebs-begin", "EBS_BEGIN", "os-handoff", "OS_HANDOFF");

    static final Set<String> KEYS = Set.of("guest", "disk", "duration", "factor", "delay", "count", "what", "max");

    public static final int ALL = -1;

    /**
     * The longest virtual time one fault's duration or delay, or one backend request, may take:
     * 1 h. The clock is a long of ns (292 years), so even a million requests of this length in a
     * row, plus every stall, cannot wrap it; a longer value is refused where the user gives it.
     */
    public static final long LONGEST_NANOS = 3_600_000_000_000L;

    /**
     * Parses {@code kind@trigger[:k=v,...]}.
     *
     * @throws IllegalArgumentException with a message that says what was expected
     */
    public static Fault parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty fault (expected kind@trigger[:key=value,...])");
        String t = text.trim();
        int at = t.indexOf('@');
        if (at < 0) throw new IllegalArgumentException("fault '" + t + "': missing '@trigger' (expected kind@trigger[:key=value,...])");
        String kindText = t.substring(0, at).trim();
        Kind kind = Kind.parse(kindText);
        if (kind == null) throw new IllegalArgumentException("fault '" + t + "': unknown kind '" + kindText + "' (expected one of " + Kind.names() + ")");
        String rest = t.substring(at + 1);
        int colon = rest.indexOf(':');
        String trig = (colon < 0 ? rest : rest.substring(0, colon)).trim();
        Map<String, String> params = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String kv : rest.substring(colon + 1).split(",")) {
                if (kv.isBlank()) continue;
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("fault '" + t + "': parameter '" + kv.trim() + "' is not key=value");
                String k = kv.substring(0, eq).trim();
                if (!KEYS.contains(k)) throw new IllegalArgumentException("fault '" + t + "': unknown parameter '" + k + "' (expected " + String.join(", ", List.copyOf(new java.util.TreeSet<>(KEYS))) + ")");
                params.put(k, kv.substring(eq + 1).trim());
            }
        }
        Trigger trigger = parseTrigger(t, trig);
        int guest = target(t, params.get("guest"), "guest");
        int disk = target(t, params.get("disk"), "disk");
        Fault f = new Fault(kind, trigger, guest, disk, Map.copyOf(params), t);
        // validate the typed parameters now, so a bad value fails before the run
        f.nanos("duration", 5_000_000);
        f.nanos("delay", 1_000_000);
        f.number("factor", 10);
        f.count("count", 1);
        f.count("max", Integer.MAX_VALUE);
        f.what();
        return f;
    }

    private static Trigger parseTrigger(String t, String trig) {
        if (trig.isEmpty()) throw new IllegalArgumentException("fault '" + t + "': empty trigger (expected a time like 5ms, ebs-begin, os-handoff, requests=N or p=0.1)");
        if (EVENTS.containsKey(trig)) return new AtEvent(trig, EVENTS.get(trig));
        if (trig.startsWith("requests=")) {
            try {
                long n = Long.parseLong(trig.substring("requests=".length()).trim());
                if (n < 1) throw new NumberFormatException();
                return new AfterRequests(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("fault '" + t + "': requests=N needs a whole number >= 1");
            }
        }
        if (trig.startsWith("p=")) {
            try {
                double p = Double.parseDouble(trig.substring(2).trim());
                if (!(p > 0 && p <= 1)) throw new NumberFormatException();
                return new WithProbability(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("fault '" + t + "': p= needs a probability in (0, 1]");
            }
        }
        try {
            return new AtTime(VirtualTime.parse(trig));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("fault '" + t + "': unknown trigger '" + trig
                    + "' (expected a time like 5ms, ebs-begin, os-handoff, requests=N or p=0.1)");
        }
    }

    private static int target(String t, String v, String key) {
        if (v == null || v.equals("all")) return ALL;
        try {
            int n = Integer.parseInt(v);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("fault '" + t + "': " + key + "=" + v + " (expected an index >= 0 or all)");
        }
    }

    /** A duration parameter in ns, at most {@link #LONGEST_NANOS}. */
    public long nanos(String key, long dflt) {
        String v = params.get(key);
        if (v == null) return dflt;
        long ns;
        try {
            ns = VirtualTime.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("fault '" + text + "': " + key + "=" + v + " is not a duration (use e.g. 5ms, 200us)");
        }
        if (ns > LONGEST_NANOS) {
            throw new IllegalArgumentException("fault '" + text + "': " + key + "=" + v + " is longer than 1h of virtual time (the most one fault may last)");
        }
        return ns;
    }

    public double number(String key, double dflt) {
        String v = params.get(key);
        if (v == null) return dflt;
        try {
            double d = Double.parseDouble(v);
            if (!(d > 0) || Double.isInfinite(d)) throw new NumberFormatException();
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("fault '" + text + "': " + key + "=" + v + " (expected a positive number)");
        }
    }

    public int count(String key, int dflt) {
        String v = params.get(key);
        if (v == null) return dflt;
        try {
            int n = Integer.parseInt(v);
            if (n < 1) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("fault '" + text + "': " + key + "=" + v + " (expected a whole number >= 1)");
        }
    }

    /** ring-corrupt: what to damage (request, response or data). */
    public String what() {
        String v = params.getOrDefault("what", "request");
        if (!Set.of("request", "response", "data").contains(v)) {
            throw new IllegalArgumentException("fault '" + text + "': what=" + v + " (expected request, response or data)");
        }
        return v;
    }

    /** Whether the fault hits a disk's backend (so {@code disk=} means something). */
    public boolean hitsDisks() {
        return switch (kind) {
            case BACKEND_CRASH, BACKEND_STALL, BACKEND_SLOW, RING_CORRUPT, BACKEND_LOST_WRITES, BACKEND_RESPOND_BEFORE_UNMAP -> true;
            default -> false;
        };
    }

    /** The guest index this fault hits: {@link #ALL} or one index. */
    public boolean targets(int guestIndex) {
        return guest == ALL || guest == guestIndex;
    }
}
