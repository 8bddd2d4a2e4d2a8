package xensim.cluster;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;

/** A cluster node's ActorSystem: {@code xensim-cluster.conf} with its address, the seed node and its role. */
public final class ClusterNode {
    /** The ActorSystem name every node uses (addresses are akka://xensim@HOST:PORT). */
    public static final String SYSTEM = "xensim";

    private ClusterNode() {}

    /** HOST:PORT → {host, port}; null when it is not of that form (port 1..65535, or 0 where {@code anyPort}). */
    public static String[] hostPort(String s, boolean anyPort) {
        if (s == null) return null;
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) return null;
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        try {
            int port = Integer.parseInt(s.substring(colon + 1));
            if (port < (anyPort ? 0 : 1) || port > 65535) return null;
            return new String[] {host, String.valueOf(port)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public static Config config(String host, int port, String seedHost, int seedPort, String role) {
        Config mine = ConfigFactory.empty()
                .withValue("akka.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
                .withValue("akka.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
                .withValue("akka.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of("akka://" + SYSTEM + "@" + seedHost + ":" + seedPort)))
                .withValue("akka.cluster.roles", ConfigValueFactory.fromIterable(List.of(role)));
        return mine.withFallback(ConfigFactory.systemProperties())
                .withFallback(ConfigFactory.parseResources(ClusterNode.class.getClassLoader(), "xensim-cluster.conf"))
                .withFallback(ConfigFactory.load())
                .resolve();
    }

    public static <T> ActorSystem<T> start(Behavior<T> guardian, Config config) {
        return ActorSystem.create(guardian, SYSTEM, config);
    }
}
