/** The six ExitBootServices designs of DESIGN.md §3 (the five of the 2019 debate and before-ebs), one class each, selected by name in {@link xensim.firmware.ebs.Strategies}. */
package xensim.firmware.ebs;
