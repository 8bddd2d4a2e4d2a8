package xensim.dom0.blkback;

import java.nio.file.Path;

/**
 * One vbd as the toolstack sets it up: the frontend domain and device id, the xenstore paths of
 * both ends, the raw image, the service-latency model's parameters and the
 * {@link BlkbackProfile} (which blkback is modelled).
 */
public record BlkbackConfig(int frontendDom, int devid, String backendPath, String frontendPath, Path image,
                            boolean readOnly, long latencyMeanNanos, double tailProbability, double tailFactor,
                            int queueDepth, BlkbackProfile profile) {
    public BlkbackConfig {
        if (profile == null) throw new IllegalArgumentException("backend profile");
    }
}
