/**
 * The online invariant checker: an {@link xensim.platform.EventSink} that judges every invariant
 * of DESIGN.md §4 from the event stream and emits VIOLATION events with their evidence (seqs).
 */
package xensim.check;
