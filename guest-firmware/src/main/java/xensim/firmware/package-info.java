/** A guest's vCPU running firmware ({@link xensim.firmware.FirmwareActor}) and what it hands the OS ({@link xensim.firmware.Handoff}). */
package xensim.firmware;
