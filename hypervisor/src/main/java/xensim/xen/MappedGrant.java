package xensim.xen;

/**
 * A grant of {@code granter}'s still mapped by {@code mapper}: what destroying the granter reports
 * (the toolstack turns these into GRANT_LEAK).
 */
public record MappedGrant(int granter, int mapper, int ref, int handle, long gfn, boolean readonly) {

    static MappedGrant of(GrantMapping m) {
        return new MappedGrant(m.granter(), m.mapper(), m.ref(), m.handle(), m.gfn(), m.readonly());
    }
}
