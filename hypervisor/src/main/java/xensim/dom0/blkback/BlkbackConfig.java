package xensim.dom0.blkback;

import java.nio.file.Path;

/**
 * One vbd as the toolstack sets it up: the frontend domain and device id, the xenstore paths of
 * both ends, the raw image, and the service-latency model's parameters.
 */
public record BlkbackConfig(int frontendDom, int devid, String backendPath, String frontendPath, Path image,
                            boolean readOnly, long latencyMeanNanos, double tailProbability, double tailFactor,
                            int queueDepth) {}
