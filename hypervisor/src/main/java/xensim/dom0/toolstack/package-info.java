/** The toolstack (libxl-like): creates and destroys guests, their xenstore nodes and backends. */
package xensim.dom0.toolstack;
