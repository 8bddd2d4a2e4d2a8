package xensim.dom0.blkback;

/**
 * A planted backend bug the nemesis can switch on (fault kind {@code backend-lost-writes}): what a
 * buggy backend would do, never what Linux's blkback does. It lets a user (and the planted-bug tests
 * of schedule exploration) check that the checker catches a backend that breaks the blkif contract,
 * not only a firmware that does.
 */
public enum BackendDefect {
    /**
     * After a restart, the WRITEs the dead incarnation never answered are acknowledged (OKAY) without
     * being written: a backend that answers from its journal instead of re-serving it. The data the
     * guest was told is on the disk is not.
     */
    LOST_WRITES
}
