package xensim.cluster;

/** A design jar (--design-jar) as a worker receives it once: its name, the SHA-256 of its bytes, the bytes. */
public record DesignJar(String name, String sha256, byte[] bytes) implements ClusterSerializable {
    /** The lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
