/** The PV console backend: reads a guest's {@code xencons_interface} out-ring into CONSOLE events. */
package xensim.dom0.console;
