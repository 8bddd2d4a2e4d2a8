/** The command line ({@code ./xensim}): picocli commands, exit codes (0 clean, 1 violation, 2 bad input, 3 internal). */
package xensim.cli;
