/**
 * Stress runs: many simulations of one scenario (threaded by default, optionally under CPU load),
 * failures by verdict with their replay commands. {@code ./xensim stress} only parses and prints.
 */
package xensim.stress;
