/** The five ExitBootServices designs of DESIGN.md §3, one class each, selected by name in {@link xensim.firmware.ebs.Strategies}. */
package xensim.firmware.ebs;
