package xensim.runtime;

import java.util.Map;

/**
 * One fault to inject: its kind, when (a virtual time, an event, or a probability), which guest
 * (or all), and its parameters — parsed from {@code kind@trigger:key=value,...}.
 */
public record FaultSpec(String kind, String trigger, int guest, Map<String, String> params, String text) {}
