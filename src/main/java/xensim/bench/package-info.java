/**
 * Benchmarks behind {@code ./xensim bench}: every figure is printed next to a baseline measured in
 * the same run (raw Akka tell throughput), so results are ratios, robust to noisy shared machines.
 */
package xensim.bench;
