/**
 * The run harness: {@link xensim.runtime.Simulation} runs one host in its own ActorSystem with the
 * event log and the online checker attached, frames the log with RUN_BEGIN/RUN_END and returns a
 * {@link xensim.runtime.RunResult}. It knows nothing of Xen; the host comes as a factory.
 */
package xensim.runtime;
